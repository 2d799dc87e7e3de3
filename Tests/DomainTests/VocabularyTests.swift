import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain

/// The typed words keep the wire format: each is its raw string both ways, and a value no type
/// knows is refused with the field and the values allowed.
@Suite struct VocabularyTests {
    static func roundTrips<W: WireWord & Equatable>(_ type: W.Type) throws -> Bool {
        try W.allCases.allSatisfy { word in
            let encoded = try WireJSON.encode([word])
            var writer = JSONWriter()
            word.write(to: &writer)
            let decoded = try WireJSON.decode([W].self, from: encoded)
            return String(decoding: encoded, as: UTF8.self) == "[\"\(word.rawValue)\"]"
                && String(decoding: writer.bytes, as: UTF8.self) == "\"\(word.rawValue)\""
                && decoded == [word]
        }
    }

    @Test func everyWordIsItsRawStringOnTheWireBothWays() throws {
        #expect(try Self.roundTrips(Platform.self))
        #expect(try Self.roundTrips(DecisionReason.self))
        #expect(try Self.roundTrips(NotificationKind.self))
        #expect(try Self.roundTrips(ChannelKind.self))
        #expect(try Self.roundTrips(IneligibilityCode.self))
        #expect(try Self.roundTrips(InboxStatus.self))
        #expect(DecisionReason.noEligibleUser.rawValue == "no_eligible_user" && NotificationKind.manualRequired.rawValue == "manual_required")
    }

    @Test func anUnknownWordIsRefusedNamingTheFieldAndTheValuesAllowed() throws {
        let config = #"{"version": 1, "location": {"id": "l", "name": "L", "timezone": "UTC"}, "accounts": [{"id": "a", "platform": "sms", "address": "+15550000001"}]}"#
        #expect(throws: WireError(.badRequest, #"field config.accounts[0].platform is invalid: unknown platform "sms" (whatsapp, imessage, twilio or ghl)"#)) {
            _ = try WireJSON.decode(LocationConfig.self, from: Array(config.utf8), path: "config")
        }
        let message = #"{"provider": "p", "messageId": "m", "platform": "fax", "account": "+1", "contact": "+2", "text": "", "at": "2026-11-30T15:00:00Z"}"#
        #expect(throws: WireError.self) { _ = try WireJSON.decode(InboundMessage.self, from: Array(message.utf8)) }
    }
}
