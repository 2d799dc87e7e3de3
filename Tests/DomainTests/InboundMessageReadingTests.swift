import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain

/// `router.route` reads inbound messages without `JSONDecoder` when it can; what it accepts and
/// how it refuses must stay exactly what `Decodable` does.
@Suite struct InboundMessageReadingTests {
    static let valid = [
        #"{"provider":"whatsapp","messageId":"wamid.1","platform":"whatsapp","account":"+15550002222","contact":"+15550001111","contactName":"Ann \"the\" O'Neil\n\u00e9 🙂","text":"price?\\/","mediaCount":2,"source":{"type":"ad","id":"120","campaign":"Spring"},"at":"2026-11-30T15:00:00.250Z"}"#,
        #"{"provider":"twilio","messageId":"SM1","platform":"twilio","account":"+1","contact":"+2","contactName":null,"text":"","mediaCount":0,"source":null,"at":"2026-11-30T10:00:00-05:00"}"#,
        #" { "at": "2026-11-30T15:00:00Z", "unknown": [1, {"x": null}], "text": "hi", "mediaCount": -1, "contact": "c", "account": "a", "platform": "imessage", "messageId": "m", "provider": "bridge" } "#,
        #"{"provider":"whatsapp","messageId":"m","platform":"whatsapp","account":"a","contact":"c","text":"t","mediaCount":1,"source":{"type":"ad"},"at":"2026-11-30T15:00:00Z"}"#,
    ]

    static let refusedOrLeftToTheDecoder = [
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","text":"t","at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","text":"t","mediaCount":"2","at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","text":"t","mediaCount":2.0,"at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","text":"t","mediaCount":0,"at":"yesterday"}"#,
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","text":7,"mediaCount":0,"at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"twilio","messageId":"m","platform":"twilio","account":"a","contact":"c","contact":"d","text":"t","mediaCount":0,"at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"whatsapp","messageId":"m","platform":"whatsapp","account":"a","contact":"c","text":"t","mediaCount":0,"source":{"id":"1"},"at":"2026-11-30T15:00:00Z"}"#,
        #"{"provider":"whatsapp","messageId":"m","platform":"whatsapp","account":"a","contact":"c","text":"t","mediaCount":0,"source":"ad","at":"2026-11-30T15:00:00Z"}"#,
        #"[1, 2]"#,
        #"{"provider":"#,
    ]

    /// What `Decodable` alone says, as ``WireJSON/decode(_:from:path:)`` reports it.
    private func decoded(_ json: String) -> Result<InboundMessage, WireError> {
        do {
            return .success(try WireJSON.decoder.decode(InboundMessage.self, from: Data(json.utf8)))
        } catch let error as DecodingError {
            return .failure(WireError(.badRequest, WireJSON.describe(error, prefix: "body")))
        } catch {
            return .failure(WireError(.badRequest, "\(error)"))
        }
    }

    private func read(_ json: String) -> InboundMessage? {
        Array(json.utf8).withUnsafeBufferPointer { JSONObjectReader.read(InboundMessage.self, from: $0) }
    }

    @Test(arguments: valid)
    func wellFormedMessagesAreReadWithoutTheDecoderToTheSameValue(json: String) throws {
        let fast = try #require(read(json))
        #expect(Result.success(fast) == decoded(json))
        #expect(Result { () throws(WireError) in try WireJSON.decode(InboundMessage.self, from: Array(json.utf8), path: "body") } == decoded(json))
    }

    @Test(arguments: refusedOrLeftToTheDecoder)
    func anythingElseGoesToTheDecoderAndGetsItsAnswer(json: String) {
        #expect(read(json) == nil)
        #expect(Result { () throws(WireError) in try WireJSON.decode(InboundMessage.self, from: Array(json.utf8), path: "body") } == decoded(json))
    }
}
