import Dispatch
import SwitchboardRuntime
import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardCrypto

/// One server-side connection of a ``LineServer``: framing, the handshake, limits, dispatch.
///
/// Threading: confined to its connection's event loop. Handlers start inline on the loop
/// (`Task.immediate`), or on the cooperative pool when registered ``LineServer/Execution/onPool``,
/// and send their answer from wherever they finish; the loop then releases the in-flight slot and
/// resumes reading when it was paused.
final class LineSession: @unchecked Sendable {
    private let server: LineServer
    private let connection: StreamConnection
    private let events: EventSink
    private var framer: LineFramer
    private var inFlight = 0
    private var authenticated: Bool
    private var peerFinished = false
    private var lastActivity = DispatchTime.now()
    private var idleTimer: EventLoop.TimerID?

    init(server: LineServer, connection: StreamConnection) {
        self.server = server
        self.connection = connection
        events = EventSink(connection: connection)
        framer = LineFramer(maximumLineLength: server.options.maximumLineLength)
        authenticated = server.options.token == nil
    }

    func start() {
        connection.start(StreamConnection.Handlers(
            bytes: { [self] bytes in received(bytes) },
            endOfStream: { [self] in
                peerFinished = true
                closeIfFinished()
            },
            closed: { [self] in
                if let idleTimer { connection.loop.cancel(idleTimer) }
                idleTimer = nil
                server.sessionClosed(connection)
            }))
        connection.execute { [self] in startIdleTimer() }
    }

    private func startIdleTimer() {
        guard !connection.isClosed else { return }
        let idle = server.options.idleTimeout
        let interval = max(0.05, idle / 4)
        idleTimer = connection.loop.schedule(after: interval, repeating: interval) { [self] in
            let quiet = Double(DispatchTime.now().uptimeNanoseconds - lastActivity.uptimeNanoseconds) / 1e9
            if inFlight == 0, quiet >= idle {
                server.logger.debug("idle connection closed", ["seconds": idle])
                connection.close()
            }
        }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastActivity = .now()
        framer.append(bytes)
        processLines()
    }

    /// Handles buffered lines while under the in-flight limit; pauses reading at the limit.
    private func processLines() {
        while inFlight < server.options.maximumInFlightPerConnection {
            switch framer.next() {
            case .line(let line):
                handle(line)
                if connection.isClosed { return }
            case .needMoreData:
                if !peerFinished { connection.resumeReading() }
                return
            case .tooLong:
                server.metrics.increment("switchboard_requests_rejected_total", labels: ["code": "line_too_long"])
                connection.write(Envelope.failure(id: nil, error: WireError(.lineTooLong, "line exceeds \(server.options.maximumLineLength) bytes")))
                connection.closeWhenFlushed()
                return
            }
        }
        connection.pauseReading()
    }

    private func closeIfFinished() {
        // An unterminated tail after end of stream is an incomplete line: dropped, as framing says.
        if peerFinished, inFlight == 0 {
            connection.closeWhenFlushed()
        }
    }

    private func handle(_ line: [UInt8]) {
        let head: RequestHead
        switch RequestHead.parse(line) {
        case .success(let parsed): head = parsed
        case .failure(let failure):
            reject(id: failure.id, failure.error)
            return
        }
        switch head.op {
        case "hello":
            hello(head)
            return
        case _ where !authenticated:
            reject(id: head.id, WireError(.unauthorized, "send hello with the service token first"))
            connection.closeWhenFlushed()
            return
        case "health":
            connection.write(Envelope.success(id: head.id, encodedBody: server.healthBody()))
            return
        case "metrics":
            connection.write(Envelope.success(id: head.id, encodedBody: server.metricsBody()))
            return
        default:
            break
        }
        guard let reservation = server.beginRequest(op: head.op) else {
            reject(id: head.id, WireError(.unavailable, "\(server.service) is shutting down"))
            return
        }
        guard let registration = reservation else {
            reject(id: head.id, WireError(.unknownOp, "\(server.service) has no op \"\(head.op)\""))
            return
        }
        inFlight += 1
        let context = RequestContext(id: head.id, op: head.op, events: events)
        let reply = answer(head)
        let handler = registration.handler
        let run: @Sendable () async -> Void = {
            do {
                try await handler(head, context, reply)
            } catch {
                reply(.failure(error))
            }
        }
        switch registration.execution {
        case .onLoop:
            // Runs on this thread until the handler first suspends: a handler that needs no I/O
            // answers without a hop to the cooperative pool.
            Task.immediate { await run() }
        case .onPool:
            Task { await run() }
        }
    }

    /// The reply to `head`, taken once from wherever the handler has its answer: the envelope
    /// is written from that thread, and the loop then releases the in-flight slot.
    private func answer(_ head: RequestHead) -> LineServer.Reply {
        let server = self.server
        let started = DispatchTime.now()
        let answered = Atomic<Bool>(false)
        return { result in
            guard !answered.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let line: [UInt8]
            switch result {
            case .success(let body):
                line = Envelope.success(id: head.id, encodedBody: body)
                server.metrics.increment("switchboard_requests_total", labels: ["op": head.op, "outcome": "ok"])
            case .failure(let error as WireError):
                line = Envelope.failure(id: head.id, error: error)
                server.metrics.increment("switchboard_requests_total", labels: ["op": head.op, "outcome": error.code.rawValue])
            case .failure(let error):
                server.logger.error("handler failed", ["op": head.op, "error": String(describing: error)])
                line = Envelope.failure(id: head.id, error: .internal("\(head.op) failed; nothing was committed"))
                server.metrics.increment("switchboard_requests_total", labels: ["op": head.op, "outcome": "internal"])
            }
            server.metrics.observe(
                "switchboard_request_seconds", labels: ["op": head.op],
                seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            self.connection.send(line)
            self.connection.execute { self.completed() }
        }
    }

    private func completed() {
        inFlight -= 1
        server.endRequest()
        lastActivity = .now()
        processLines()
        closeIfFinished()
    }

    private func hello(_ head: RequestHead) {
        let body: HelloBody
        do {
            body = try head.decodeBody(HelloBody.self)
        } catch {
            reject(id: head.id, error)
            return
        }
        if let expected = server.options.token {
            guard let offered = body.token, ConstantTime.equals(offered, expected) else {
                server.logger.warning("hello refused", ["client": body.client ?? "unknown"])
                reject(id: head.id, WireError(.unauthorized, "invalid token"))
                connection.closeWhenFlushed()
                return
            }
        }
        authenticated = true
        let reply = (try? WireJSON.encode(["service": server.service])) ?? Array("{}".utf8)
        connection.write(Envelope.success(id: head.id, encodedBody: reply))
    }

    private func reject(id: String?, _ error: WireError) {
        server.metrics.increment("switchboard_requests_rejected_total", labels: ["code": error.code.rawValue])
        connection.write(Envelope.failure(id: id, error: error))
    }
}
