import Foundation
import Testing
import SwitchboardCodec
import SwitchboardTestSupport
@testable import SwitchboardAdapters

/// The providers' JSON payloads are read without `JSONDecoder` on the webhook path; the reader
/// must read every real sample as the decoder does, and leave to the decoder (which then refuses
/// with its own error) anything it does not take.
@Suite struct ProviderPayloadReadingTests {
    static func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }

    static func readerAgreesWithDecoder<T: Decodable & JSONReadable>(_ type: T.Type, _ body: [UInt8]) throws -> Bool {
        let read = try #require(body.withUnsafeBufferPointer { JSONObjectReader.read(T.self, from: $0) })
        return dumped(read) == dumped(try JSONDecoder().decode(T.self, from: Data(body)))
    }

    @Test(arguments: ["whatsapp-inbound-text.json", "whatsapp-inbound-referral.json", "whatsapp-inbound-bsuid-no-phone.json",
                      "whatsapp-status.json", "whatsapp-status-read.json", "whatsapp-status-failed.json"])
    func everyWhatsAppSampleIsReadAsTheDecoderReadsIt(file: String) throws {
        #expect(try Self.readerAgreesWithDecoder(WhatsAppParser.Payload.self, Array(SharedFiles.data("payloads/\(file)"))))
    }

    @Test(arguments: ["sendblue-inbound-imessage.json", "sendblue-inbound-sms-downgraded.json"])
    func everyBridgeSampleIsReadAsTheDecoderReadsIt(file: String) throws {
        #expect(try Self.readerAgreesWithDecoder(BridgeParser.Payload.self, Array(SharedFiles.data("payloads/\(file)"))))
    }

    @Test func otherChangeFieldsAreAcknowledgedWhateverTheirValueAndOptionalBooleansRead() throws {
        let other = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":[1,"x"]}]}]}"#
        #expect(try Self.readerAgreesWithDecoder(WhatsAppParser.Payload.self, Array(other.utf8)))
        let outbound = #"{"message_handle":"h1","is_outbound":true,"from_number":"+1","to_number":"+2","status":"SENT","extra":{"a":[null]}}"#
        #expect(try Self.readerAgreesWithDecoder(BridgeParser.Payload.self, Array(outbound.utf8)))
    }

    @Test func whatTheReaderDoesNotTakeIsRefusedByTheDecoderWithItsError() throws {
        let refused = [
            #"{"entry":[{"changes":[{"field":"messages","value":{"metadata":{},"messages":[{"id":7}]}}]}]}"#,
            #"{"entry":[{"changes":[{"field":"messages","value":{"messages":[]}}]}]}"#,
            #"{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"s"}]}}]}]}"#,
        ]
        for body in refused {
            #expect(Array(body.utf8).withUnsafeBufferPointer { JSONObjectReader.read(WhatsAppParser.Payload.self, from: $0) } == nil)
            #expect(throws: (any Error).self) { try WhatsAppParser.events(Array(body.utf8), receivedAt: Date(), account: { _ in "a" }) }
        }
        // A duplicate member goes to the decoder, which reads it as it always has.
        let duplicate = #"{"message_handle":"h1","message_handle":"h2","number":"+1","to_number":"+2"}"#
        #expect(Array(duplicate.utf8).withUnsafeBufferPointer { JSONObjectReader.read(BridgeParser.Payload.self, from: $0) } == nil)
        #expect(try WireJSON.decode(BridgeParser.Payload.self, from: Array(duplicate.utf8)).messageHandle
            == JSONDecoder().decode(BridgeParser.Payload.self, from: Data(duplicate.utf8)).messageHandle)
        let notBoolean = #"{"message_handle":"h1","is_outbound":"yes"}"#
        #expect(throws: (any Error).self) { try WireJSON.decode(BridgeParser.Payload.self, from: Array(notBoolean.utf8)) }
    }
}
