public import Foundation
import Synchronization
public import SwitchboardHTTP
import SwitchboardRuntime

/// A local HTTP receiver for tests: records every request and answers from a script
/// (per path, a list of statuses used in turn; the last one repeats).
public final class RecordingReceiver: Sendable {
    public struct Recorded: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: [UInt8]
        public var at: Date
    }

    private let server: HTTPServer
    private let state = Mutex<(requests: [Recorded], script: [String: [HTTPResponse]])>(([], [:]))
    private let arrived = NSCondition()

    public init() throws {
        server = HTTPServer(options: HTTPServer.Options(), logger: Logger(service: "receiver", minimumLevel: .error), metrics: MetricsRegistry())
        _ = try server.listen()
    }

    public var port: UInt16 { server.port }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Answers requests to `path` (any method) with `responses` in turn, the last one repeating.
    public func script(_ path: String, _ responses: [HTTPResponse]) {
        state.withLock { $0.script[path] = responses }
        for method in ["GET", "POST", "PUT"] {
            server.route(method, path) { [self] request in
                let response = state.withLock { state -> HTTPResponse in
                    var headers: [String: String] = [:]
                    for (name, value) in request.headers { headers[name.lowercased()] = value }
                    state.requests.append(Recorded(method: request.method, path: request.path, headers: headers, body: request.body, at: Date()))
                    var queue = state.script[path] ?? [HTTPResponse(status: 200)]
                    let next = queue.count > 1 ? queue.removeFirst() : queue[0]
                    state.script[path] = queue
                    return next
                }
                signalArrival()
                return response
            }
        }
    }

    public var requests: [Recorded] { state.withLock { $0.requests } }

    private func signalArrival() {
        arrived.lock()
        arrived.broadcast()
        arrived.unlock()
    }

    /// Waits (bounded) until `predicate` holds for the recorded requests.
    public func wait(timeout: Double = 20, until predicate: @escaping @Sendable ([Recorded]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        try await onOwnThread { [self] in
            arrived.lock()
            defer { arrived.unlock() }
            while !predicate(requests) {
                guard Date() < deadline else {
                    throw TestFailure("receiver: condition not met within \(timeout)s; \(requests.count) requests")
                }
                _ = arrived.wait(until: min(deadline, Date().addingTimeInterval(0.05)))
            }
        }
    }

    public func stop() async { await server.stop() }
}
