import Dispatch
import Foundation
import Synchronization
import SwitchboardNet
public import SwitchboardPOSIX
public import SwitchboardRuntime

/// A small HTTP/1.1 server for provider webhooks, `/healthz` and `/metrics`.
///
/// Routes are exact paths with one handler per method: an unknown path gets 404, a known path
/// with another method 405 (with `Allow`). A ``mount(_:_:)``ed prefix takes every path under it
/// that has no exact route (the console's pages and API, whose paths carry ids). Requests on one connection are answered in order, one
/// at a time; connections are independent, so a slow sender delays only itself and is cut off
/// with 408 when its request is not complete within ``Options/readTimeout``.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// Sends the response of a deferred handler, from whichever thread has it; call it exactly
    /// once (later calls are ignored).
    public typealias Reply = @Sendable (HTTPResponse) -> Void
    /// Takes the request and a ``Reply`` to call when the response is ready; may return first.
    public typealias DeferredHandler = @Sendable (HTTPRequest, @escaping Reply) async -> Void

    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port: UInt16 = 0
        public var limits = HTTPRequestParser.Limits()
        /// Seconds a request may take to arrive in full, from its first byte (408 beyond).
        public var readTimeout: Double = 10
        /// Seconds a keep-alive connection may sit idle between requests.
        public var idleTimeout: Double = 60
        public var maximumConnections = 1024

        public init() {}
    }

    public let options: Options
    let logger: Logger
    let metrics: MetricsRegistry

    private struct State {
        var routes: [String: [String: DeferredHandler]] = [:]
        /// Prefix → handler for any method, longest prefix first.
        var mounts: [(prefix: String, handler: DeferredHandler)] = []
        var listener: TCPListener?
        var connections: [ObjectIdentifier: StreamConnection] = [:]
    }

    private let state = Mutex(State())
    /// The threads that stopped making progress, for `/healthz`.
    private let health = HealthReport()
    /// Requests being handled. One already read on a kept-alive connection is served even
    /// while draining; new connections are refused.
    private let requests = InFlight()

    public init(options: Options, logger: Logger, metrics: MetricsRegistry) {
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// Registers `handler` for `method` on the exact `path`.
    public func route(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routeDeferred(method, path) { request, reply in reply(await handler(request)) }
    }

    /// Registers a handler that responds through a ``Reply``: the response is sent from the thread
    /// that has it (a store's thread after its commit) with no hop back to the handler's task.
    public func routeDeferred(_ method: String, _ path: String, _ handler: @escaping DeferredHandler) {
        state.withLock { $0.routes[path, default: [:]][method] = handler }
    }

    /// Sends every request whose path starts with `prefix` and has no exact route to `handler`,
    /// whatever its method (the handler answers 404 and 405 itself). The longest prefix wins.
    public func mount(_ prefix: String, _ handler: @escaping Handler) {
        let deferred: DeferredHandler = { request, reply in reply(await handler(request)) }
        state.withLock { state in
            state.mounts.append((prefix, deferred))
            state.mounts.sort { $0.prefix.count > $1.prefix.count }
        }
    }

    /// Adds `GET /healthz` and `GET /metrics` (Prometheus text) backed by the metrics registry.
    /// `/healthz` answers 503 while `healthy` says no or the heartbeat given to
    /// ``reportHealth(from:)`` finds a thread not progressing (naming it).
    public func addOperationalRoutes(healthy: @escaping @Sendable () -> Bool = { true }) {
        let metrics = self.metrics
        let health = self.health
        route("GET", "/healthz") { _ in
            let stuck = health.stuck
            guard stuck.isEmpty else { return .text(503, "stuck: \(stuck.joined(separator: ", "))\n") }
            return healthy() ? .text(200, "ok\n") : .text(503, "unavailable\n")
        }
        route("GET", "/metrics") { _ in
            await metrics.refresh()
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(metrics.prometheusText().utf8))
        }
    }

    /// Binds and starts accepting; returns the bound port.
    public func listen() throws(SystemError) -> UInt16 {
        let listener = try TCPListener(host: options.host, port: options.port)
        state.withLock { $0.listener = listener }
        listener.start { [weak self] socket in self?.accept(socket) }
        logger.info("listening", ["host": options.host, "port": listener.port, "protocol": "http"])
        return listener.port
    }

    public var port: UInt16 { state.withLock { $0.listener?.port ?? 0 } }

    /// Stops accepting, waits for in-flight requests (until `deadline`), then closes connections.
    public func stop(deadline: Duration) async {
        requests.refuseNew()
        let listener = state.withLock { state -> TCPListener? in
            defer { state.listener = nil }
            return state.listener
        }
        listener?.stop()
        await requests.drain(within: deadline)
        for connection in state.withLock({ Array($0.connections.values) }) { connection.close() }
        logger.info("stopped", ["protocol": "http"])
    }

    private func accept(_ socket: Socket) {
        let admitted = state.withLock { state -> StreamConnection? in
            guard !requests.isDraining, state.connections.count < options.maximumConnections else { return nil }
            let connection = StreamConnection(socket: socket, name: "http")
            state.connections[ObjectIdentifier(connection)] = connection
            return connection
        }
        guard let connection = admitted else {
            let response = HTTPResponse.text(503, "too many connections\n").serialized(keepAlive: false)
            response.withUnsafeBytes { _ = try? socket.send($0) }
            socket.close()
            return
        }
        HTTPSession(server: self, connection: connection).start()
    }

    func connectionClosed(_ connection: StreamConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Finds the handler for a request, or the 404/405 response.
    func resolve(_ request: HTTPRequest) -> Resolution {
        let (methods, mounted) = state.withLock { state in
            (state.routes[request.path], state.mounts.first { request.path.hasPrefix($0.prefix) }?.handler)
        }
        guard let methods else { return mounted.map { .handler($0) } ?? .answer(.text(404, "not found\n")) }
        if let handler = methods[request.method] { return .handler(handler) }
        if request.method == "HEAD", let handler = methods["GET"] { return .handler(handler) }
        var response = HTTPResponse.text(405, "method not allowed\n")
        response.headers.append(("Allow", methods.keys.sorted().joined(separator: ", ")))
        return .answer(response)
    }

    enum Resolution {
        case handler(DeferredHandler)
        case answer(HTTPResponse)
    }

    func requestStarted() { requests.enterWhileDraining() }
    func requestFinished() { requests.leave() }
}

extension HTTPServer {
    /// `/healthz` answers 503 while `heartbeat` finds a thread not progressing.
    public func reportHealth(from heartbeat: Heartbeat) {
        health.follow(heartbeat)
    }
}

extension HTTPServer: Service {
    /// Listens (``listen()``); the port is ``port``.
    public func start() async throws {
        _ = try listen()
    }

    /// Stops with ten seconds for in-flight requests.
    public func stop() async {
        await stop(deadline: .seconds(10))
    }

    /// The event loops its connections run on.
    public var heartbeatProbes: [Heartbeat.Probe] { EventLoopGroup.shared.heartbeatProbes }
}

extension HTTPServer {
    /// The `http` setting of the services without webhooks, for Prometheus and health checks:
    /// off unless set (the installed configuration sets it: `deploy/config/*.json`, port
    /// `suggestedPort`), so a test's or a second instance's process never collides on a port.
    public static func operationalKey(suggestedPort: Int) -> Settings.Key {
        Settings.Key("http", help: "host:port of /metrics (Prometheus text) and /healthz, e.g. 127.0.0.1:\(suggestedPort); unset: none")
    }

    /// A server with just `GET /metrics` and `GET /healthz` on the `http` setting's address,
    /// nil when the setting is unset.
    public static func operational(settings: Settings, logger: Logger, metrics: MetricsRegistry) throws -> HTTPServer? {
        guard let address = try settings.address("http") else { return nil }
        var options = Options()
        options.host = address.host
        options.port = address.port
        options.maximumConnections = 64
        let server = HTTPServer(options: options, logger: logger, metrics: metrics)
        server.addOperationalRoutes()
        return server
    }
}
