import Foundation
import Synchronization
import SwitchboardPOSIX
import Testing
import SwitchboardHTTP
import SwitchboardRuntime
import SwitchboardTestSupport

/// The HTTP server over real loopback sockets, fed good, truncated, oversized, slow and
/// malformed requests.
@Suite struct HTTPServerTests {
    static func makeServer(readTimeout: Double = 10) throws -> HTTPServer {
        var options = HTTPServer.Options()
        options.readTimeout = readTimeout
        options.limits.maximumBodyBytes = 1 << 20
        let server = HTTPServer(options: options, logger: Logger(service: "test", minimumLevel: .error), metrics: MetricsRegistry())
        server.route("POST", "/echo") { request in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: request.body)
        }
        server.addOperationalRoutes()
        _ = try server.listen()
        return server
    }

    func healthy(_ server: HTTPServer) async throws -> Bool {
        let connection = try await RawConnection(port: server.port)
        try await connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        return try await connection.readHTTPResponse()?.status == 200
    }

    /// `/healthz` fails while the heartbeat finds a thread (here a store's) not progressing.
    @Test func healthzFailsWhileAThreadMakesNoProgress() async throws {
        let server = try Self.makeServer()
        final class Gate: Sendable { let open = Atomic<Bool>(true) }
        let gate = Gate()
        let heartbeat = Heartbeat(probes: [Heartbeat.Probe(name: "adapters.store") { done in if gate.open.load(ordering: .relaxed) { done() } }])
        server.reportHealth(from: heartbeat)
        heartbeat.beat()
        #expect(try await healthy(server))
        gate.open.store(false, ordering: .relaxed)
        heartbeat.beat()
        heartbeat.beat()
        #expect(try await !healthy(server))
        gate.open.store(true, ordering: .relaxed)
        heartbeat.beat()
        #expect(try await healthy(server))
        await server.stop()
    }

    @Test func servesKeepAliveRequestsOnOneConnection() async throws {
        let server = try Self.makeServer()
        let connection = try await RawConnection(port: server.port)
        for index in 0..<20 {
            let body = "hello \(index)"
            try await connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try #require(try await connection.readHTTPResponse())
            #expect(response.status == 200)
            #expect(response.body == body)
        }
        await server.stop()
    }

    @Test func aDeferredResponseLeavesFromAnotherThreadOnceAndTheConnectionGoesOn() async throws {
        let server = try Self.makeServer()
        let responder = DispatchQueue(label: "test.responder")
        server.routeDeferred("POST", "/later") { request, reply in
            // The response waits for the handler's body to have finished, not for a guessed delay.
            let returned = DispatchSemaphore(value: 0)
            defer { returned.signal() }
            responder.async {
                _ = returned.wait(timeout: .now() + 10)
                reply(HTTPResponse(status: 202, headers: [("Content-Type", "text/plain")], body: request.body))
                reply(.text(500, "a second response is ignored\n"))
            }
        }
        let connection = try await RawConnection(port: server.port)
        for index in 0..<5 {
            let body = "later \(index)"
            try await connection.send("POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try #require(try await connection.readHTTPResponse())
            #expect(response.status == 202)
            #expect(response.body == body)
        }
        #expect(try await healthy(server))
        await server.stop()
    }

    @Test func answersExpectContinueAndChunkedUploads() async throws {
        let server = try Self.makeServer()
        let connection = try await RawConnection(port: server.port)
        try await connection.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        let interim = try #require(try await connection.readHTTPResponse())
        #expect(interim.status == 100)
        try await connection.send("3\r\nabc\r\n0\r\n\r\n")
        let response = try #require(try await connection.readHTTPResponse())
        #expect(response.status == 200 && response.body == "abc")
        await server.stop()
    }

    @Test(arguments: [
        ("GET /nowhere HTTP/1.1\r\n\r\n", 404),
        ("GET /echo HTTP/1.1\r\n\r\n", 405),
        ("NOT HTTP AT ALL\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nContent-Length: 5242880\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n", 431),
    ])
    func answersBadRequestsWithTheirStatusAndKeepsServing(request: String, status: Int) async throws {
        let server = try Self.makeServer()
        let connection = try await RawConnection(port: server.port)
        try await connection.send(request)
        let response = try #require(try await connection.readHTTPResponse())
        #expect(response.status == status)
        if status == 405 { #expect(response.head.contains("Allow: POST")) }
        #expect(try await healthy(server))
        await server.stop()
    }

    @Test func cutsOffASlowSenderWith408WithoutBlockingOthers() async throws {
        let server = try Self.makeServer(readTimeout: 0.3)
        let slow = try await RawConnection(port: server.port)
        try await slow.send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly a little")
        #expect(try await healthy(server))
        let response = try #require(try await slow.readHTTPResponse())
        #expect(response.status == 408)
        #expect(await slow.isClosedByPeer())
        await server.stop()
    }

    @Test func survivesTruncatedRequestsAndRandomBytes() async throws {
        let server = try Self.makeServer(readTimeout: 0.5)
        var generator = SeededGenerator.forTest(seed: 2026_12_06)
        for _ in 0..<50 {
            let connection = try await RawConnection(port: server.port)
            let bytes = (0..<Int.random(in: 1..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try? await connection.send(bytes)
        }
        let truncated = try await RawConnection(port: server.port)
        try await truncated.send("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        truncated.socket.shutdownWrite()
        #expect(try await healthy(server))
        await server.stop()
    }

    @Test func exposesPrometheusMetrics() async throws {
        let server = try Self.makeServer()
        _ = try await healthy(server)
        let connection = try await RawConnection(port: server.port)
        try await connection.send("GET /metrics HTTP/1.1\r\n\r\n")
        let response = try #require(try await connection.readHTTPResponse())
        #expect(response.body.contains("# TYPE switchboard_http_requests_total counter"))
        await server.stop()
    }
}
