import Testing
import SwitchboardTestSupport
@testable import SwitchboardHTTP

@Suite struct HTTPRequestParserTests {
    func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> [HTTPRequestParser.Event] {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array(text.utf8))
        var events: [HTTPRequestParser.Event] = []
        while true {
            let event = parser.next()
            if case .needMoreData = event { return events }
            events.append(event)
            if case .failure = event { return events }
        }
    }

    @Test func parsesAContentLengthBodyAndKeepsItsBytes() throws {
        let events = parse("POST /webhooks/twilio?tenant=acme HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nA=1&B=2")
        guard case .request(let request) = try #require(events.first) else { Issue.record("no request"); return }
        #expect(request.method == "POST")
        #expect(request.path == "/webhooks/twilio")
        #expect(request.query.map(\.value) == ["acme"])
        #expect(request.body == Array("A=1&B=2".utf8))
        #expect(request.header("content-length") == "7")
        #expect(request.keepAlive)
    }

    @Test func decodesChunkedBodiesWithExtensionsAndTrailers() throws {
        let events = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\n")
        guard case .request(let request) = try #require(events.first) else { Issue.record("no request"); return }
        #expect(request.body == Array("Wikipedia".utf8))
    }

    @Test func parsesPipelinedRequestsInOrder() {
        let events = parse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n")
        let paths = events.compactMap { event -> String? in
            if case .request(let request) = event { return request.path }
            return nil
        }
        #expect(paths == ["/a", "/b"])
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413),
    ])
    func refusesMalformedRequestsWithTheRightStatus(text: String, status: Int) {
        guard case .failure(let got, _) = parse(text).last else {
            Issue.record("expected a failure for \(text.debugDescription)")
            return
        }
        #expect(got == status)
    }

    /// The head is checked as UTF-8 once, as bytes: a header value that is not (here a lone 0xFF)
    /// is refused, and one that is (é, two bytes) is kept as sent.
    @Test func refusesAHeadThatIsNotUTF8AndKeepsOneThatIs() {
        var parser = HTTPRequestParser(limits: .init())
        parser.append(Array("GET / HTTP/1.1\r\nX-Name: ".utf8) + [0xFF] + Array("\r\n\r\n".utf8))
        guard case .failure(let status, let message) = parser.next() else {
            Issue.record("expected a failure")
            return
        }
        #expect(status == 400)
        #expect(message == "header is not UTF-8")
        guard case .request(let request) = parse("GET / HTTP/1.1\r\nX-Name: José\r\n\r\n").first else {
            Issue.record("expected a request")
            return
        }
        #expect(request.header("x-name") == "José")
    }

    @Test func refusesAHeaderBlockOverTheLimitWith431() {
        var limits = HTTPRequestParser.Limits()
        limits.maximumHeaderBytes = 1024
        let text = "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: 2000)
        guard case .failure(let status, _) = parse(text, limits: limits).last else {
            Issue.record("expected 431")
            return
        }
        #expect(status == 431)
    }

    @Test func refusesAChunkedBodyOverTheLimitWith413() {
        var limits = HTTPRequestParser.Limits()
        limits.maximumBodyBytes = 10
        guard case .failure(let status, _) = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n", limits: limits).last else {
            Issue.record("expected 413")
            return
        }
        #expect(status == 413)
    }

    @Test func announcesExpectContinueBeforeTheBody() {
        let events = parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        guard case .expectContinue = events.first else {
            Issue.record("expected 100-continue")
            return
        }
    }

    @Test func neverCrashesOnRandomBytes() {
        var generator = SeededGenerator.forTest(seed: 2026_12_06)
        let alphabet = Array("GET POST / HTTP/1.1\r\n:Content-Length: 5\r\nTransfer-Encoding: chunked\r\n0123456789abcdef;".utf8)
        for _ in 0..<3000 {
            var parser = HTTPRequestParser()
            let length = Int.random(in: 0..<400, using: &generator)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            parser.append(bytes)
            for _ in 0..<50 {
                if case .needMoreData = parser.next() { break }
            }
        }
    }
}
