import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain

/// Inbound messages (`router.route`) and outbox items (`notifier.enqueue`, deliveries) are read
/// without `JSONDecoder` when they can be; what is accepted and how it is refused must stay
/// exactly what `Decodable` does.
@Suite struct HandReadingTests {
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
    private func decoded<T: Decodable>(_ json: String, as type: T.Type = InboundMessage.self) -> Result<T, WireError> {
        do {
            return .success(try WireJSON.decoder.decode(T.self, from: Data(json.utf8)))
        } catch let error as DecodingError {
            return .failure(WireError(.badRequest, WireJSON.describe(error, prefix: "body")))
        } catch {
            return .failure(WireError(.badRequest, "\(error)"))
        }
    }

    private func read<T: JSONReadable>(_ json: String, as type: T.Type = InboundMessage.self) -> T? {
        Array(json.utf8).withUnsafeBufferPointer { JSONObjectReader.read(T.self, from: $0) }
    }

    /// The reader takes `json` and reads what `Decodable` reads, and so does ``WireJSON``.
    private func expectReadAsTheDecoderReads<T: JSONReadable & Decodable & Equatable>(_ json: String, as type: T.Type) throws {
        let fast = try #require(read(json, as: T.self))
        #expect(Result.success(fast) == decoded(json, as: T.self))
        #expect(Result { () throws(WireError) in try WireJSON.decode(T.self, from: Array(json.utf8), path: "body") } == decoded(json, as: T.self))
    }

    /// The reader declines `json`, and ``WireJSON`` answers exactly what `Decodable` answers.
    private func expectLeftToTheDecoder<T: JSONReadable & Decodable & Equatable>(_ json: String, as type: T.Type) {
        #expect(read(json, as: T.self) == nil)
        #expect(Result { () throws(WireError) in try WireJSON.decode(T.self, from: Array(json.utf8), path: "body") } == decoded(json, as: T.self))
    }

    @Test(arguments: valid)
    func wellFormedMessagesAreReadWithoutTheDecoderToTheSameValue(json: String) throws {
        try expectReadAsTheDecoderReads(json, as: InboundMessage.self)
    }

    @Test(arguments: refusedOrLeftToTheDecoder)
    func anythingElseGoesToTheDecoderAndGetsItsAnswer(json: String) {
        expectLeftToTheDecoder(json, as: InboundMessage.self)
    }

    @Test func rawNonASCIITextIsReadAndInvalidUTF8InAStringIsRefused() throws {
        let message = #"{"provider":"bridge","messageId":"m","platform":"imessage","account":"a","contact":"c","text":"Olá, café? 🙂","mediaCount":0,"at":"2026-11-30T15:00:00Z"}"#
        #expect(try #require(read(message)).text == "Olá, café? 🙂")
        let prefix = Array(#"{"provider":"bridge","messageId":"m","platform":"imessage","account":"a","contact":"c","text":"caf"#.utf8)
        let broken = prefix + [0xC3, 0x28] + Array(#"","mediaCount":0,"at":"2026-11-30T15:00:00Z"}"#.utf8)
        #expect(broken.withUnsafeBufferPointer { JSONObjectReader.read(InboundMessage.self, from: $0) } == nil)
        #expect(throws: WireError.self) { try WireJSON.decode(InboundMessage.self, from: broken, path: "body") }
    }

    static let resolveRequests = [
        #"{"location":"loc","target":{"team":"t_sales","mode":"round_robin"},"at":"2026-11-30T17:00:00Z"}"#,
        #"{"location":"loc","target":{"user":"u_a","mode":"ignored"}}"#,
        #"{"location":"loc","target":{"user":"u_a"},"at":null,"extra":1}"#,
    ]

    static let resolveRequestsLeftToTheDecoder = [
        #"{"location":"loc","target":{"pool":["u_a","u_b"],"mode":"weighted","weights":{"u_a":2}}}"#,
        #"{"location":"loc","target":{"queue":"t_sales"}}"#,
        #"{"location":"loc","target":{"team":"t_sales","mode":"sideways"}}"#,
        #"{"location":"loc","target":{"team":"t_sales"}}"#,
        #"{"location":"loc","target":{"user":"u_a","team":"t_sales","mode":"lead"}}"#,
        #"{"location":"loc","target":{"user":null}}"#,
        #"{"location":"loc","target":{}}"#,
        #"{"location":"loc"}"#,
        #"{"location":"loc","target":{"user":"u_a"},"at":"noon"}"#,
    ]

    @Test(arguments: resolveRequests)
    func userAndTeamResolveRequestsAreReadWithoutTheDecoderToTheSameValue(json: String) throws {
        try expectReadAsTheDecoderReads(json, as: ResolveRequest.self)
    }

    @Test(arguments: resolveRequestsLeftToTheDecoder)
    func otherTargetsAndMistakesGoToTheDecoderAndGetItsAnswer(json: String) {
        expectLeftToTheDecoder(json, as: ResolveRequest.self)
    }

    static let validItems = [
        #"{"id":"whatsapp:wamid.1:0","notification":{"recipient":"u_a","recipientName":"Alice","channels":[{"channel":"webhook","url":"https://h.example.com/a?b=c"},{"channel":"file","path":"/tmp/n.jsonl"}],"kind":"assigned","location":"loc","contact":"+1555","contactName":"Ann \"A\"","account":"+1666","accountName":"Sales","platform":"whatsapp","at":"2026-11-30T15:00:00Z","summary":"New WhatsApp contact"}}"#,
        #"{"id":"n","notification":{"recipient":"u_a","channels":[],"kind":"queued","location":"loc","contact":"+1","account":"+2","at":"2026-11-30T15:00:00.5Z","summary":"s"},"crm":null}"#,
        #"{"id":"c","crm":{"location":"loc","contact":"+1555","contactName":"Ann","assignedTo":"u_a","tags":["vip","es"],"sequence":42}}"#,
        #"{"id":"c","crm":{"location":"loc","contact":"+1555","assignedTo":null,"tags":[],"sequence":0},"extra":{"ignored":[true]}}"#,
        #"{"id":"neither"}"#,
    ]

    static let itemsLeftToTheDecoder = [
        #"{"notification":{"recipient":"u_a","channels":[],"kind":"queued","location":"loc","contact":"+1","account":"+2","at":"2026-11-30T15:00:00Z","summary":"s"}}"#,
        #"{"id":"n","notification":{"recipient":"u_a","kind":"queued","location":"loc","contact":"+1","account":"+2","at":"2026-11-30T15:00:00Z","summary":"s"}}"#,
        #"{"id":"n","notification":{"recipient":"u_a","channels":["file"],"kind":"queued","location":"loc","contact":"+1","account":"+2","at":"2026-11-30T15:00:00Z","summary":"s"}}"#,
        #"{"id":"n","notification":{"recipient":"u_a","channels":[{"url":"x"}],"kind":"queued","location":"loc","contact":"+1","account":"+2","at":"2026-11-30T15:00:00Z","summary":"s"}}"#,
        #"{"id":"c","crm":{"location":"loc","contact":"+1555","tags":"vip","sequence":1}}"#,
        #"{"id":"c","crm":{"location":"loc","contact":"+1555","tags":[1],"sequence":1}}"#,
        #"{"id":"c","crm":{"location":"loc","contact":"+1555","tags":[],"sequence":"1"}}"#,
        #"{"id":"c","notification":"hello"}"#,
        #"{"id":7}"#,
    ]

    @Test(arguments: validItems)
    func wellFormedOutboxItemsAreReadWithoutTheDecoderToTheSameValue(json: String) throws {
        try expectReadAsTheDecoderReads(json, as: OutboxItem.self)
    }

    @Test(arguments: itemsLeftToTheDecoder)
    func anyOtherItemGoesToTheDecoderAndGetsItsAnswer(json: String) {
        expectLeftToTheDecoder(json, as: OutboxItem.self)
    }
}
