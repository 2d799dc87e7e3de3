import Dispatch
import Foundation
import SwitchboardCtl
import SwitchboardNet
import SwitchboardPOSIX

/// One keep-alive connection driven from an event loop: each response that arrives sends the
/// next prepared request, until the requests or the time run out.
///
/// Why not a blocking thread per connection: on two cores, 32 client threads that each block and
/// wake once per request take CPU the server under test needs; a loop serves many connections per
/// wake-up.
final class WebhookDriver: @unchecked Sendable {
    private let connection: StreamConnection
    private let requests: [[UInt8]]
    private let deadline: Date
    private let accepted: Tally
    private let finished: @Sendable ((any Error)?) -> Void
    // Confined to the connection's loop.
    private var buffer: [UInt8] = []
    private var sent = 0
    private var done = false

    /// Connects to `port` and starts sending; `finished` is called once, when the run ends.
    init(port: UInt16, requests: [[UInt8]], deadline: Date, accepted: Tally, finished: @escaping @Sendable ((any Error)?) -> Void) throws {
        let socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
        try socket.setNonBlocking()
        connection = StreamConnection(socket: socket, name: "bench-client")
        self.requests = requests
        self.deadline = deadline
        self.accepted = accepted
        self.finished = finished
    }

    func start() {
        connection.start(StreamConnection.Handlers(
            bytes: { [self] bytes in received(bytes) },
            endOfStream: { [self] in finish(SystemError(operation: "webhook answer", code: 104)) },
            // After `finish` this is ignored; before it, the connection was lost mid-run.
            closed: { [self] in finish(SystemError(operation: "webhook connection closed", code: 104)) }))
        connection.execute { [self] in sendNext() }
    }

    private func sendNext() {
        guard sent < requests.count, Date() < deadline else { return finish(nil) }
        connection.send(requests[sent])
        sent += 1
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        buffer += bytes
        while !done, let (status, size) = KeepAliveHTTP.response(in: buffer) {
            buffer.removeSubrange(..<size)
            guard status == 200 else { return finish(SystemError(operation: "webhook answer \(status)", code: 5)) }
            accepted.add()
            sendNext()
        }
    }

    private func finish(_ error: (any Error)?) {
        guard !done else { return }
        done = true
        connection.close()
        finished(error)
    }
}
