import Dispatch
import Foundation
import Synchronization
public import SwitchboardCodec
public import SwitchboardPOSIX
public import SwitchboardRuntime

/// The TCP line-protocol server every Switchboard service runs (`PROTOCOL.md`).
///
/// Services register one handler per op; the server does the rest: framing, envelopes, `health`,
/// `metrics`, the `hello` handshake, per-connection limits and graceful shutdown. Handlers run as
/// tasks, so a slow handler or a stalled client delays no one else; answers to pipelined requests
/// may leave out of order.
///
/// ```swift
/// let server = LineServer(service: "directory", options: options, logger: log, metrics: metrics)
/// server.register("directory.get_user") { (body: GetUser, _) in try await store.user(body.id) }
/// let port = try server.listen()
/// ```
public final class LineServer: Sendable {
    /// Takes the request (head read, body located) and returns the encoded answer body.
    public typealias RawHandler = @Sendable (_ request: RequestHead, _ context: RequestContext) async throws -> [UInt8]

    /// Where a handler starts.
    public enum Execution: Sendable {
        /// On its connection's event loop, until it first suspends: no thread hop, so a handler
        /// that answers from memory or soon waits for I/O answers soonest. The default.
        case onLoop
        /// On the cooperative pool: for a handler that computes for a while without suspending
        /// (`directory.resolve` expanding a large team), so the loop goes on reading and
        /// pipelined requests of one connection use every core.
        case onPool
    }

    /// Answers a request whose reply comes later, from whichever thread has it: call it exactly
    /// once (later calls are ignored) with the encoded body or the failure.
    public typealias Reply = @Sendable (Result<[UInt8], any Error>) -> Void

    /// Takes the request and a ``Reply`` to call when the answer is ready; may return first.
    public typealias DeferredHandler = @Sendable (_ request: RequestHead, _ context: RequestContext, _ reply: @escaping Reply) async throws -> Void

    struct Registration: Sendable {
        var handler: DeferredHandler
        var execution: Execution
    }

    public let service: String
    public let options: LineServerOptions
    let logger: Logger
    let metrics: MetricsRegistry
    private let startedAt = Date()

    private struct State {
        var handlers: [String: Registration] = [:]
        var listener: TCPListener?
        var sessions: [ObjectIdentifier: StreamConnection] = [:]
    }

    private let state = Mutex(State())
    /// The threads that stopped making progress, for `health`.
    private let health = HealthReport()
    /// Requests being handled; draining refuses new ones.
    private let requests = InFlight()

    public init(service: String, options: LineServerOptions, logger: Logger, metrics: MetricsRegistry) {
        self.service = service
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// Registers the handler of `op` with a typed body and reply.
    ///
    /// A body that does not decode is answered `bad_request` naming the field; a thrown
    /// ``WireError`` is sent as is; any other error becomes `internal` (retryable).
    public func register<Body: Decodable & Sendable, Reply: Encodable & Sendable>(
        _ op: String, _ handler: @escaping @Sendable (Body, RequestContext) async throws -> Reply
    ) {
        registerRaw(op) { request, context in
            let body = try request.decodeBody(Body.self)
            return try WireJSON.encode(try await handler(body, context))
        }
    }

    /// Registers a handler that decodes and encodes bodies itself.
    public func registerRaw(_ op: String, execution: Execution = .onLoop, _ handler: @escaping RawHandler) {
        registerDeferred(op, execution: execution) { request, context, reply in reply(.success(try await handler(request, context))) }
    }

    /// Registers a handler that answers through a ``Reply`` instead of returning: the answer
    /// leaves from the thread that has it (a store's thread after its commit) with no hop back to
    /// the handler's task. A throw before replying is the answer.
    public func registerDeferred(_ op: String, execution: Execution = .onLoop, _ handler: @escaping DeferredHandler) {
        state.withLock { $0.handlers[op] = Registration(handler: handler, execution: execution) }
    }

    /// Binds and starts accepting; returns the bound port.
    public func listen() throws(SystemError) -> UInt16 {
        let listener = try TCPListener(host: options.host, port: options.port)
        state.withLock { $0.listener = listener }
        listener.start { [weak self] socket in self?.accept(socket) }
        logger.info("listening", ["host": options.host, "port": listener.port, "protocol": "lines"])
        return listener.port
    }

    /// The bound port (0 before ``start()``).
    public var port: UInt16 { state.withLock { $0.listener?.port ?? 0 } }

    /// Stops accepting, lets in-flight requests finish (until `deadline`), then closes every connection.
    ///
    /// Requests that arrive meanwhile are answered `unavailable` (retryable).
    public func stop(deadline: Duration) async {
        requests.refuseNew()
        let listener = state.withLock { state -> TCPListener? in
            defer { state.listener = nil }
            return state.listener
        }
        listener?.stop()
        await requests.drain(within: deadline)
        for connection in state.withLock({ Array($0.sessions.values) }) { connection.close() }
        logger.info("stopped", ["protocol": "lines"])
    }

    private func accept(_ socket: Socket) {
        let admitted = state.withLock { state -> StreamConnection? in
            guard !requests.isDraining, state.sessions.count < options.maximumConnections else { return nil }
            let connection = StreamConnection(socket: socket, name: "line")
            state.sessions[ObjectIdentifier(connection)] = connection
            return connection
        }
        guard let connection = admitted else {
            metrics.increment("switchboard_connections_refused_total")
            let line = Envelope.failure(id: nil, error: WireError(.overloaded, "too many connections (limit \(options.maximumConnections))"))
            line.withUnsafeBytes { _ = try? socket.send($0) }
            socket.close()
            return
        }
        metrics.increment("switchboard_connections_total")
        LineSession(server: self, connection: connection).start()
    }

    func sessionClosed(_ connection: StreamConnection) {
        _ = state.withLock { $0.sessions.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Reserves an in-flight slot, or nil while draining.
    func beginRequest(op: String) -> Registration?? {
        guard requests.enter() else { return .none }
        guard let handler = state.withLock({ $0.handlers[op] }) else {
            requests.leave()
            return .some(nil)
        }
        return .some(handler)
    }

    func endRequest() {
        requests.leave()
    }

    /// `health` answers `stuck` (naming them) while `heartbeat` finds a thread not progressing.
    public func reportHealth(from heartbeat: Heartbeat) {
        health.follow(heartbeat)
    }

    func healthBody() -> [UInt8] {
        let connections = state.withLock { $0.sessions.count }
        let inFlight = requests.count
        let stuck = health.stuck
        var body = HealthBody(
            status: stuck.isEmpty ? "ok" : "stuck", service: service, uptimeSeconds: Date().timeIntervalSince(startedAt),
            connections: connections, inFlight: inFlight)
        body.stuck = stuck.isEmpty ? nil : stuck
        return (try? WireJSON.encode(body)) ?? Array("{}".utf8)
    }

    func metricsBody() -> [UInt8] {
        (try? WireJSON.encode(metrics.snapshot())) ?? Array("{}".utf8)
    }
}

/// The body of the `health` op.
public struct HealthBody: Codable, Sendable, Equatable {
    public var status: String
    public var service: String
    public var uptimeSeconds: Double
    public var connections: Int
    public var inFlight: Int
    /// The threads not making progress, when `status` is `stuck`.
    public var stuck: [String]?

    enum CodingKeys: String, CodingKey { case status, service, uptimeSeconds, connections, inFlight, stuck }
}

/// The body of `hello`.
public struct HelloBody: Codable, Sendable {
    public var token: String?
    public var client: String?

    public init(token: String?, client: String?) {
        self.token = token
        self.client = client
    }

    enum CodingKeys: String, CodingKey { case token, client }
}

extension LineServer: Service {
    /// Listens (``listen()``); the port is ``port``.
    public func start() async throws {
        _ = try listen()
    }

    /// Stops with ten seconds for in-flight requests.
    public func stop() async {
        await stop(deadline: .seconds(10))
    }

    /// The status line systemd shows: `lines=HOST:PORT`.
    public var status: String { "lines=\(options.host):\(port)" }

    /// The event loops its connections run on.
    public var heartbeatProbes: [Heartbeat.Probe] { EventLoopGroup.shared.heartbeatProbes }
}

extension EventLoopGroup {
    /// One probe per loop: the loop runs a no-op when it gets to it.
    public var heartbeatProbes: [Heartbeat.Probe] {
        loops.map { loop in Heartbeat.Probe(name: loop.name) { done in loop.execute(done) } }
    }
}
