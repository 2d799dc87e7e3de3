import Foundation
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardTestSupport
import Testing
@testable import SwitchboardAdapters

/// Real-shaped variants of the providers' documented payloads (not only random bytes): keys
/// dropped, values of the wrong type, empty, huge or unusual strings, arrays emptied or
/// repeated, unknown fields added. Every variant is either refused as malformed or read into
/// events that make sense; none crashes, and none stores garbage.
@Suite struct ParserFuzzTests {
    static let now = Date(timeIntervalSince1970: 1_795_885_200)

    /// Odd values a field may carry in a variant (made afresh: JSON values are not Sendable).
    static var oddValues: [Any] { [
        "", " ", "0", "-1", "1e308", "NaN", String(repeating: "9", count: 400), "whatsapp:+1 (555) 010-0001", "US.1349120865530274",
        "+", "@", "\u{0000}", "\u{202E}evil", "😀👩‍👩‍👧", String(repeating: "x", count: 70_000), 0, -1, 1.5, true, NSNull(), [] as [Any], [:] as [String: Any],
    ] }

    /// One variant of a JSON value: a random change somewhere in the tree.
    static func mutate(_ value: Any, _ generator: inout SeededGenerator, depth: Int = 0) -> Any {
        if var object = value as? [String: Any], !object.isEmpty {
            let key = object.keys.sorted()[Int.random(in: 0..<object.count, using: &generator)]
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: object[key] = nil
            case 1: object[key] = oddValues.randomElement(using: &generator)!
            case 2: object["unknown_\(depth)"] = oddValues.randomElement(using: &generator)!
            default: object[key] = mutate(object[key]!, &generator, depth: depth + 1)
            }
            return object
        }
        if var array = value as? [Any], !array.isEmpty {
            let index = Int.random(in: 0..<array.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: array.remove(at: index)
            case 1: array.append(contentsOf: array)
            default: array[index] = mutate(array[index], &generator, depth: depth + 1)
            }
            return array
        }
        return oddValues.randomElement(using: &generator)!
    }

    /// What a read event must look like to be stored.
    static func sane(_ event: InboxEvent) -> Bool {
        let (id, contact, account, at): (String, String, String, Date)
        switch event {
        case .inbound(let message): (id, contact, account, at) = (message.messageId, message.contact, message.account, message.at)
        case .reply(let reply): (id, contact, account, at) = (reply.messageId, reply.contact, reply.account, reply.at)
        case .crm: return false
        }
        return !id.isEmpty && !contact.isEmpty && !account.isEmpty && at.timeIntervalSince1970.isFinite && contact == ContactAddress.normalize(contact)
    }

    @Test func whatsAppVariantsAreRefusedOrReadIntoSaneEvents() throws {
        var generator = SeededGenerator.forTest(seed: 20261206)
        let samples = try ["whatsapp-inbound-text.json", "whatsapp-inbound-referral.json", "whatsapp-status.json", "whatsapp-status-read.json",
                           "whatsapp-status-failed.json", "whatsapp-inbound-bsuid-no-phone.json"].map {
            try JSONSerialization.jsonObject(with: SharedFiles.data("payloads/\($0)"))
        }
        var read = 0
        var refused = 0
        for round in 0..<3000 {
            var variant = samples[round % samples.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) { variant = Self.mutate(variant, &generator) }
            // (Foundation traps rather than throws on a top-level value that is not an object.)
            guard JSONSerialization.isValidJSONObject(variant), let body = try? JSONSerialization.data(withJSONObject: variant) else { continue }
            do {
                let events = try WhatsAppParser.identifiedEvents(Array(body), receivedAt: Self.now) { $0.displayPhoneNumber.map(ContactAddress.normalize) ?? "" }
                for (event, _) in events where !Self.sane(event) {
                    Issue.record("round \(round): an event that makes no sense: \(event)")
                }
                read += 1
            } catch is MalformedWebhook {
                refused += 1
            }
        }
        #expect(read > 100 && refused > 100, "the variants exercise both paths (read \(read), refused \(refused))")
    }

    @Test func twilioVariantsAreRefusedOrReadIntoSaneEvents() throws {
        var generator = SeededGenerator.forTest(seed: 20261207)
        let samples = try ["twilio-inbound-sms.form", "twilio-inbound-mms.form", "twilio-whatsapp-inbound-ctwa.form", "twilio-status-delivered.form",
                           "twilio-status-undelivered.form"].map { try ProviderParsersTests.form($0) }
        var read = 0
        var refused = 0
        for round in 0..<3000 {
            var parameters = samples[round % samples.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<max(parameters.count, 1), using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where !parameters.isEmpty: parameters.remove(at: index)
                case 1 where !parameters.isEmpty: parameters[index].value = "\(Self.oddValues.randomElement(using: &generator)!)"
                case 2: parameters.append((name: ["From", "To", "Body", "MessageSid", "NumMedia", "MessageStatus", "X"].randomElement(using: &generator)!,
                                           value: "\(Self.oddValues.randomElement(using: &generator)!)"))
                default: parameters.shuffle(using: &generator)
                }
            }
            let status = round % samples.count >= 3
            do {
                // What the intake stores: the parser's event unless it names no usable party.
                let event: InboxEvent? = status
                    ? try TwilioParser.reply(parameters, at: Self.now).map { .reply($0) }
                    : .inbound(try TwilioParser.inbound(parameters, at: Self.now))
                if let event, event.malformation != nil {
                    refused += 1
                    continue
                }
                if let event { #expect(Self.sane(event), "round \(round): \(event)") }
                read += 1
            } catch is MalformedWebhook {
                refused += 1
            }
        }
        #expect(read > 100 && refused > 100, "the variants exercise both paths (read \(read), refused \(refused))")
    }
}
