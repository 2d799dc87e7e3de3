import Testing
import SwitchboardCtl

/// The load clients read responses by hand: a response is complete only with its whole body,
/// whatever the header's case, and one buffer may hold the next response already.
@Suite struct KeepAliveHTTPTests {
    @Test func aResponseIsCompleteOnlyWithItsWholeBodyAndTheNextOneIsLeftInPlace() {
        let first = Array("HTTP/1.1 200 OK\r\ncontent-LENGTH: 5\r\nConnection: keep-alive\r\n\r\nhello".utf8)
        let second = Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(KeepAliveHTTP.response(in: Array(first.prefix(20))) == nil)
        #expect(KeepAliveHTTP.response(in: Array(first.dropLast())) == nil)
        #expect(KeepAliveHTTP.response(in: first).map { [$0.status, $0.size] } == [200, first.count])
        #expect(KeepAliveHTTP.response(in: first + second).map { [$0.status, $0.size] } == [200, first.count])
        #expect(KeepAliveHTTP.response(in: second).map { [$0.status, $0.size] } == [403, second.count])
        #expect(KeepAliveHTTP.response(in: Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))?.size == 27)
    }
}
