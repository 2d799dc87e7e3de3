import Dispatch
import Foundation
import SwitchboardNet

/// One HTTP connection: parses requests, runs handlers one at a time, writes responses, and
/// enforces the read deadline and idle timeout.
///
/// Threading: confined to the connection's queue; handlers run as tasks whose responses return
/// to the queue.
final class HTTPSession: @unchecked Sendable {
    private let server: HTTPServer
    private let connection: StreamConnection
    private var parser: HTTPRequestParser
    private var busy = false
    private var peerFinished = false
    private var requestStartedAt: DispatchTime?
    private var lastActivity = DispatchTime.now()
    private var timer: (any DispatchSourceTimer)?

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
                timer?.cancel()
                timer = nil
                server.connectionClosed(connection)
            }))
        connection.queue.async { [self] in startTimer() }
    }

    private func startTimer() {
        let interval = max(0.02, min(server.options.readTimeout, server.options.idleTimeout) / 4)
        let timer = DispatchSource.makeTimerSource(queue: connection.queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [self] in checkDeadlines() }
        timer.resume()
        self.timer = timer
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
            Task {
                let response = await handler(request)
                server.requestFinished()
                self.connection.queue.async {
                    self.busy = false
                    self.finish(response, request: request, keepAlive: keepAlive)
                    if !self.connection.isClosed {
                        if !self.peerFinished { self.connection.resumeReading() }
                        self.processRequests()
                    }
                }
            }
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
