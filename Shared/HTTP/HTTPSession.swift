import Dispatch
import SwitchboardRuntime
import Foundation
import Synchronization
import SwitchboardNet

/// One HTTP connection: parses requests, runs handlers one at a time, writes responses, and
/// enforces the read deadline and idle timeout.
///
/// Threading: confined to the connection's event loop; handlers start inline there
/// (`Task.immediate`) and their responses return to the loop.
final class HTTPSession: @unchecked Sendable {
    private let server: HTTPServer
    private let connection: StreamConnection
    private var parser: HTTPRequestParser
    private var busy = false
    private var peerFinished = false
    private var requestStartedAt: DispatchTime?
    private var lastActivity = DispatchTime.now()
    private var timer: EventLoop.TimerID?

    init(server: HTTPServer, connection: StreamConnection) {
        self.server = server
        self.connection = connection
        parser = HTTPRequestParser(limits: server.options.limits)
    }

    func start() {
        connection.start(StreamConnection.Handlers(
            bytes: { [self] bytes in
                lastActivity = .now()
                if requestStartedAt == nil { requestStartedAt = .now() }
                parser.append(bytes)
                processRequests()
            },
            endOfStream: { [self] in
                peerFinished = true
                if !busy { connection.closeWhenFlushed() }
            },
            closed: { [self] in
                if let timer { connection.loop.cancel(timer) }
                timer = nil
                server.connectionClosed(connection)
            }))
        connection.execute { [self] in startTimer() }
    }

    private func startTimer() {
        guard !connection.isClosed else { return }
        let interval = max(0.02, min(server.options.readTimeout, server.options.idleTimeout) / 4)
        timer = connection.loop.schedule(after: interval, repeating: interval) { [self] in checkDeadlines() }
    }

    private func checkDeadlines() {
        guard !busy else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if let started = requestStartedAt, parser.isMidRequest {
            if Double(now - started.uptimeNanoseconds) / 1e9 >= server.options.readTimeout {
                server.metrics.increment("switchboard_http_requests_total", labels: ["status": "408"])
                connection.write(HTTPResponse.text(408, "request timeout\n").serialized(keepAlive: false))
                connection.closeWhenFlushed()
            }
        } else if Double(now - lastActivity.uptimeNanoseconds) / 1e9 >= server.options.idleTimeout {
            connection.close()
        }
    }

    private func processRequests() {
        while !busy, !connection.isClosed {
            switch parser.next() {
            case .needMoreData:
                if !parser.isMidRequest { requestStartedAt = nil }
                return
            case .expectContinue:
                connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            case .failure(let status, let message):
                server.metrics.increment("switchboard_http_requests_total", labels: ["status": String(status)])
                server.logger.info("http request refused", ["status": status, "reason": message])
                connection.write(HTTPResponse.text(status, message + "\n").serialized(keepAlive: false))
                connection.closeWhenFlushed()
                return
            case .request(let request):
                requestStartedAt = parser.isMidRequest ? .now() : nil
                dispatch(request)
            }
        }
    }

    private func dispatch(_ request: HTTPRequest) {
        let keepAlive = request.keepAlive && !peerFinished
        switch server.resolve(request) {
        case .answer(let response):
            finish(response, request: request, keepAlive: keepAlive)
        case .handler(let handler):
            busy = true
            connection.pauseReading()
            server.requestStarted()
            let server = self.server
            let answered = Atomic<Bool>(false)
            let reply: HTTPServer.Reply = { response in
                guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
                server.requestFinished()
                self.connection.execute {
                    self.busy = false
                    self.finish(response, request: request, keepAlive: keepAlive)
                    if !self.connection.isClosed {
                        if !self.peerFinished { self.connection.resumeReading() }
                        self.processRequests()
                    }
                }
            }
            Task.immediate { await handler(request, reply) }
        }
    }

    private func finish(_ response: HTTPResponse, request: HTTPRequest, keepAlive: Bool) {
        server.metrics.increment("switchboard_http_requests_total", labels: ["status": String(response.status)])
        var response = response
        if request.method == "HEAD" { response.body = [] }
        connection.write(response.serialized(keepAlive: keepAlive && !peerFinished))
        lastActivity = .now()
        if !keepAlive || peerFinished { connection.closeWhenFlushed() }
    }
}
