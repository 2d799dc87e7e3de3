import Foundation
import Testing
@testable import SwitchboardCodec

@Suite struct EnvelopeTests {
    struct Greeting: Codable, Equatable, Sendable {
        var name: String
        var at: Date?
        enum CodingKeys: String, CodingKey { case name, at }
    }

    @Test func parsesTheHeadOfAValidRequestAndIgnoresUnknownFields() throws {
        let line = Array(#"{"v":1,"id":"c7-1042","op":"router.route","extra":[1,2],"body":{"name":"x","future":true}}"#.utf8)
        let head = try RequestHead.parse(line).get()
        #expect(head == RequestHead(id: "c7-1042", op: "router.route"))
        #expect(try Envelope.decodeBody(Greeting.self, from: line) == Greeting(name: "x"))
    }

    @Test(arguments: [
        ("[1,2]", "not a JSON object"),
        ("\"text\"", "not a JSON object"),
        ("{not json", "not a JSON object"),
        (#"{"v":1,"op":"x"}"#, "missing field id"),
        (#"{"v":1,"id":7,"op":"x"}"#, "field id has the wrong type (expected string)"),
    ])
    func answersMalformedLinesWithBadRequestAndNullId(line: String, message: String) {
        guard case .failure(let failure) = RequestHead.parse(Array(line.utf8)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.id == nil)
        #expect(failure.error.code == .badRequest)
        #expect(failure.error.message == message)
    }

    @Test func rejectsInvalidUTF8AsBadRequest() {
        let line: [UInt8] = Array(#"{"v":1,"id":""#.utf8) + [0xFF, 0xFE] + Array(#"","op":"x"}"#.utf8)
        guard case .failure(let failure) = RequestHead.parse(line) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.error.code == .badRequest)
    }

    @Test func answersAnotherVersionWithUnsupportedVersionUnderTheRequestId() {
        guard case .failure(let failure) = RequestHead.parse(Array(#"{"v":2,"id":"a","op":"x"}"#.utf8)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.id == "a")
        #expect(failure.error.code == .unsupportedVersion)
        #expect(!failure.error.retryable)
    }

    @Test func namesTheMissingOrMistypedBodyField() {
        let missing = Array(#"{"v":1,"id":"a","op":"x","body":{}}"#.utf8)
        #expect(throws: WireError(.badRequest, "missing field body.name")) { try Envelope.decodeBody(Greeting.self, from: missing) }
        let mistyped = Array(#"{"v":1,"id":"a","op":"x","body":{"name":3}}"#.utf8)
        #expect(throws: WireError(.badRequest, "field body.name has the wrong type (expected string)")) {
            try Envelope.decodeBody(Greeting.self, from: mistyped)
        }
        let absent = Array(#"{"v":1,"id":"a","op":"x"}"#.utf8)
        #expect(throws: WireError(.badRequest, "missing field body.name")) { try Envelope.decodeBody(Greeting.self, from: absent) }
    }

    @Test func roundTripsRequestsResponsesErrorsAndEvents() throws {
        let at = try #require(RFC3339.parse("2026-11-28T17:00:00.250Z"))
        let request = try Envelope.request(id: "r1", op: "test.greet", body: Greeting(name: "Ann \"A\"\n", at: at))
        #expect(request.last == 10)
        #expect(!request.dropLast().contains(10))
        let head = try RequestHead.parse(Array(request.dropLast())).get()
        #expect(head.op == "test.greet")
        #expect(try Envelope.decodeBody(Greeting.self, from: Array(request.dropLast())) == Greeting(name: "Ann \"A\"\n", at: at))

        let success = Envelope.success(id: "r1", encodedBody: try WireJSON.encode(Greeting(name: "ok")))
        guard case .success(let id, let line) = try IncomingMessage.parse(Array(success.dropLast())) else {
            Issue.record("expected success")
            return
        }
        #expect(id == "r1")
        #expect(try Envelope.decodeBody(Greeting.self, from: line).name == "ok")

        let failure = Envelope.failure(id: nil, error: WireError(.notFound, "no account for whatsapp:+15550001111"))
        #expect(String(decoding: failure, as: UTF8.self).hasPrefix(#"{"v":1,"id":null,"ok":false,"error":{"#))
        #expect(try IncomingMessage.parse(Array(failure.dropLast())) == .failure(id: nil, error: WireError(.notFound, "no account for whatsapp:+15550001111")))

        let event = try Envelope.event("directory.changed", body: ["version": 42])
        guard case .event(let name, _) = try IncomingMessage.parse(Array(event.dropLast())) else {
            Issue.record("expected event")
            return
        }
        #expect(name == "directory.changed")
    }

    @Test func marksOnlyOverloadedUnavailableAndInternalAsRetryable() {
        let retryable = ErrorCode.allCases.filter(\.isRetryable)
        #expect(Set(retryable) == [.overloaded, .unavailable, .internal])
    }
}
