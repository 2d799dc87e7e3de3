import Dispatch
import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardPOSIX
public import SwitchboardRuntime

/// A line-protocol client: one TCP connection, many pipelined requests matched by id.
///
/// Connects lazily and reconnects after a failure, spacing attempts with ``Backoff``. Every
/// failure is a ``WireError``: a lost or refused connection and a timeout are `unavailable`
/// (retryable), so ``callRetrying(_:_:as:deadline:backoff:)`` treats them like a server's
/// retryable answer. Event subscriptions are renewed on every new connection.
///
/// Thread-safe: state lives behind one mutex. Connecting, the `hello` and the request deadlines
/// run on the client's ``EventLoop``, with no thread of their own: the connect is dialled without
/// blocking and watched for writability, and `hello` is the new connection's first request,
/// answered like any other; the connection is handed to waiting requests once it is answered.
public final class LineClient: Sendable {
    public typealias EventHandler = @Sendable (_ event: String, _ line: [UInt8]) -> Void

    public let options: LineClientOptions
    /// Where the client dials, says hello and sweeps deadlines: the group's first loop unless
    /// given, so clients do not shift the group's round robin of connections.
    private let loop: EventLoop
    /// Where its connections read: nil spreads them over the group, the next loop for each new
    /// connection, as the servers' connections are. (Pinning every connection of a client to one
    /// loop chosen at `init` cost the router's benchmark ~8 % of its decisions/s, eight pairs:
    /// on two cores where each connection reads matters; `docs/performance.md`.)
    private let connectionLoop: EventLoop?

    private struct Pending {
        var deliver: @Sendable (Result<[UInt8], any Error>) -> Void
        var link: ObjectIdentifier
        var op: String
        var deadline: DispatchTime
    }

    private struct Subscription {
        var op: String
        var body: [UInt8]
        var handler: EventHandler
    }

    private enum Connection {
        case idle
        case connecting
        case connected(ClientLink)
        case closed
    }

    /// A request made while there was no connection, waiting for one.
    private struct Queued {
        var request: [UInt8]
        var id: String
        var op: String
        var timeout: Double
        var completion: @Sendable (Result<[UInt8], any Error>) -> Void
    }

    private struct State {
        var connection = Connection.idle
        var waiters: [CheckedContinuation<ClientLink, any Error>] = []
        /// Requests waiting for the connection, in the order they were made: written in that
        /// order, before any made later (a connection is not shown as up until they are).
        var queued: [Queued] = []
        var consecutiveFailures = 0
        var pending: [String: Pending] = [:]
        var nextId: UInt64 = 0
        var subscriptions: [Subscription] = []
    }

    private let state = Mutex(State())
    /// Fails requests past their deadline: one loop timer per client instead of one per request.
    private let deadlineSweeper = Mutex<EventLoop.TimerID?>(nil)

    public init(options: LineClientOptions, loop: EventLoop? = nil) {
        self.options = options
        self.loop = loop ?? EventLoopGroup.shared.loops[0]
        connectionLoop = loop
        let loop = self.loop
        let interval = min(0.1, max(0.01, options.requestTimeout / 10))
        loop.execute { [weak self] in
            guard let self else { return }
            let timer = loop.schedule(after: interval, repeating: interval) { [weak self] in self?.failExpired() }
            deadlineSweeper.withLock { $0 = timer }
        }
    }

    deinit {
        if let timer = deadlineSweeper.withLock({ $0 }) {
            let loop = self.loop
            loop.execute { loop.cancel(timer) }
        }
    }

    public convenience init(host: String, port: UInt16) {
        self.init(options: LineClientOptions(host: host, port: port))
    }

    /// Sends one request and decodes its answer's body as `Reply`.
    ///
    /// - Throws: ``WireError``: the server's failure, or `unavailable` for connection loss and timeouts.
    public func call<Body: Encodable, Reply: Decodable>(
        _ op: String, _ body: Body, as reply: Reply.Type = Reply.self, timeout: Double? = nil
    ) async throws -> Reply {
        let line = try await callRaw(op, body, timeout: timeout)
        return try Envelope.decodeBody(Reply.self, from: line)
    }

    /// Sends one request and returns the raw success line.
    public func callRaw<Body: Encodable>(_ op: String, _ body: Body, timeout: Double? = nil) async throws -> [UInt8] {
        try await send(op, encodedBody: try WireJSON.encode(body), timeout: timeout)
    }

    /// Sends a request whose body is already JSON (e.g. stored as sent) and returns the raw success line.
    public func send(_ op: String, encodedBody: [UInt8], timeout: Double? = nil) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            send(op, encodedBody: encodedBody, timeout: timeout) { continuation.resume(with: $0) }
        }
    }

    /// The same, answered through `completion` (the raw success line, or a ``WireError``), which
    /// runs on the client's loop (the connection's reads, the deadline sweep) and must be short: for a caller that
    /// handles every answer itself and should not pay a thread hop for each (the adapters'
    /// forwarder).
    public func send(
        _ op: String, encodedBody: [UInt8], timeout: Double? = nil, completion: @escaping @Sendable (Result<[UInt8], any Error>) -> Void
    ) {
        let id = state.withLock { state -> String in
            state.nextId += 1
            return "r\(state.nextId)"
        }
        let request = Envelope.request(id: id, op: op, encodedBody: encodedBody)
        let timeout = timeout ?? options.requestTimeout
        enum Route { case direct(ClientLink), queued(connect: Double?), closed }
        let route = state.withLock { state -> Route in
            if case .connected(let link) = state.connection, !link.connection.isClosed, state.queued.isEmpty { return .direct(link) }
            if case .closed = state.connection { return .closed }
            state.queued.append(Queued(request: request, id: id, op: op, timeout: timeout, completion: completion))
            if case .connecting = state.connection { return .queued(connect: nil) }
            state.connection = .connecting
            let failures = state.consecutiveFailures
            return .queued(connect: failures == 0 ? 0 : options.reconnectBackoff.delay(attempt: failures))
        }
        switch route {
        case .direct(let link): dispatch(request, id: id, op: op, timeout: timeout, on: link, completion: completion)
        case .closed: completion(.failure(WireError.unavailable("client for \(endpoint) is closed")))
        case .queued(let delay?): startConnecting(after: delay)
        case .queued(nil): break
        }
    }

    /// Registers the request's answer and writes it; its time starts now, once connected.
    private func dispatch(
        _ request: [UInt8], id: String, op: String, timeout: Double, on link: ClientLink,
        completion: @escaping @Sendable (Result<[UInt8], any Error>) -> Void
    ) {
        let deadline = DispatchTime.now() + timeout
        let registered = state.withLock { state -> Bool in
            guard !link.connection.isClosed else { return false }
            state.pending[id] = Pending(deliver: completion, link: ObjectIdentifier(link), op: op, deadline: deadline)
            return true
        }
        guard registered else {
            completion(.failure(WireError.unavailable("connection to \(endpoint) lost")))
            return
        }
        link.connection.send(request)
    }

    /// Calls until the answer is not a retryable failure, backing off between attempts.
    ///
    /// Use only for idempotent requests (the protocol's write ops carry idempotency keys).
    /// - Parameter deadline: seconds after which the last retryable error is thrown.
    public func callRetrying<Body: Encodable, Reply: Decodable>(
        _ op: String, _ body: Body, as reply: Reply.Type = Reply.self, deadline: Double = 30, backoff: Backoff = Backoff()
    ) async throws -> Reply {
        let giveUp = Date().addingTimeInterval(deadline)
        var attempt = 0
        while true {
            do {
                return try await call(op, body, as: Reply.self)
            } catch let error as WireError where error.retryable {
                attempt += 1
                let delay = backoff.delay(attempt: attempt)
                if Date().addingTimeInterval(delay) > giveUp { throw error }
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Subscribes with a `*.watch` op; `handler` gets every event, on this and later connections.
    public func subscribe<Body: Encodable>(_ op: String, _ body: Body, handler: @escaping EventHandler) async throws {
        let encoded = try WireJSON.encode(body)
        // A connection made from now on renews every subscription, this one included; only an
        // existing connection needs it sent here.
        let established = state.withLock { state -> ClientLink? in
            state.subscriptions.append(Subscription(op: op, body: encoded, handler: handler))
            if case .connected(let link) = state.connection, !link.connection.isClosed { return link }
            return nil
        }
        if let established {
            sendSubscription(op: op, body: encoded, on: established)
        } else {
            _ = try await currentLink()
        }
    }

    /// Closes the connection and fails everything pending; later calls fail `unavailable`.
    public func close() {
        let (link, queued) = state.withLock { state -> (ClientLink?, [Queued]) in
            defer {
                state.connection = .closed
                state.queued = []
            }
            if case .connected(let link) = state.connection { return (link, state.queued) }
            return (nil, state.queued)
        }
        link?.connection.close()
        for request in queued { request.completion(.failure(WireError.unavailable("client for \(endpoint) is closed"))) }
    }

    var endpoint: String { "\(options.host):\(options.port)" }

    // MARK: Connection management

    private func currentLink() async throws -> ClientLink {
        let established = state.withLock { state -> ClientLink? in
            if case .connected(let link) = state.connection, !link.connection.isClosed { return link }
            return nil
        }
        if let established { return established }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ClientLink, any Error>) in
            enum Step { case ready(ClientLink), wait, connect(delay: Double), closed }
            let step = state.withLock { state -> Step in
                switch state.connection {
                case .connected(let link) where !link.connection.isClosed:
                    return .ready(link)
                case .closed:
                    return .closed
                case .connecting:
                    state.waiters.append(continuation)
                    return .wait
                case .idle, .connected:
                    state.connection = .connecting
                    state.waiters.append(continuation)
                    let failures = state.consecutiveFailures
                    return .connect(delay: failures == 0 ? 0 : options.reconnectBackoff.delay(attempt: failures))
                }
            }
            switch step {
            case .ready(let link): continuation.resume(returning: link)
            case .wait: break
            case .closed: continuation.resume(throwing: WireError.unavailable("client for \(endpoint) is closed"))
            case .connect(let delay):
                startConnecting(after: delay)
            }
        }
    }

    /// Dials on ``loop`` after `delay` seconds (a backoff after failures).
    private func startConnecting(after delay: Double) {
        loop.execute { [self] in
            if delay > 0 {
                loop.schedule(after: delay) { [self] in connect() }
            } else {
                connect()
            }
        }
    }

    /// On ``loop``: dials without blocking and, once connected, says hello.
    private func connect() {
        let dialed: (socket: Socket, connected: Bool)
        do {
            dialed = try Socket.dial(host: options.host, port: options.port)
        } catch {
            return finishConnecting(.failure(.unavailable("cannot connect to \(endpoint): \(error)")))
        }
        let socket = dialed.socket
        if dialed.connected { return connected(socket) }
        // Writable means connected or failed; the timer bounds the wait. Whichever comes first
        // ends the other (both run on this loop).
        var finished = false
        var timeout: EventLoop.TimerID?
        func finish(_ outcome: Result<Void, WireError>) {
            guard !finished else { return }
            finished = true
            loop.deregister(socket.descriptor)
            if let timeout { loop.cancel(timeout) }
            switch outcome {
            case .success: connected(socket)
            case .failure(let error):
                socket.close()
                finishConnecting(.failure(error))
            }
        }
        do {
            try loop.register(socket.descriptor, interest: .writable) { [self] _ in
                do {
                    try socket.finishConnect()
                    finish(.success(()))
                } catch {
                    finish(.failure(.unavailable("cannot connect to \(endpoint): \(error)")))
                }
            }
        } catch {
            socket.close()
            return finishConnecting(.failure(.unavailable("cannot connect to \(endpoint): \(error)")))
        }
        timeout = loop.schedule(after: options.connectTimeout) { [self] in
            finish(.failure(.unavailable("cannot connect to \(endpoint): timed out")))
        }
    }

    /// On ``loop``: starts the link and, when the server wants a token, sends `hello` as its
    /// first request; the link goes to the waiters once `hello` is answered.
    private func connected(_ socket: Socket) {
        let link = ClientLink(socket: socket, client: self, maximumLineLength: options.maximumLineLength, loop: connectionLoop ?? EventLoopGroup.shared.next())
        link.start()
        guard let token = options.token else { return finishConnecting(.success(link)) }
        let id = state.withLock { state -> String in
            state.nextId += 1
            return "hello\(state.nextId)"
        }
        let hello: [UInt8]
        do {
            hello = try Envelope.request(id: id, op: "hello", body: HelloBody(token: token, client: options.clientName))
        } catch {
            link.connection.close()
            return finishConnecting(.failure(error))
        }
        dispatch(hello, id: id, op: "hello", timeout: options.connectTimeout, on: link) { [self] answer in
            switch answer {
            case .success:
                finishConnecting(.success(link))
            case .failure(let error):
                link.connection.close()
                finishConnecting(.failure(error as? WireError ?? .unavailable("hello to \(endpoint) failed: \(error)")))
            }
        }
    }

    /// Hands the connection (or why there is none) to every request waiting for it. Requests
    /// queued while connecting are written first, in order; only then is the connection shown
    /// as up, so a request made meanwhile queues behind them rather than overtaking them.
    private func finishConnecting(_ result: Result<ClientLink, WireError>) {
        let link: ClientLink
        switch result {
        case .success(let established): link = established
        case .failure(let failure):
            let (waiters, queued) = state.withLock { state -> ([CheckedContinuation<ClientLink, any Error>], [Queued]) in
                defer {
                    state.waiters = []
                    state.queued = []
                }
                if case .closed = state.connection { return (state.waiters, state.queued) }
                state.connection = .idle
                state.consecutiveFailures += 1
                return (state.waiters, state.queued)
            }
            for waiter in waiters { waiter.resume(throwing: failure) }
            for request in queued { request.completion(.failure(failure)) }
            return
        }
        var subscriptionsSent = false
        while true {
            enum Next { case closed([CheckedContinuation<ClientLink, any Error>], [Queued]), write([Queued], [Subscription]), up([CheckedContinuation<ClientLink, any Error>]) }
            let next = state.withLock { state -> Next in
                if case .closed = state.connection {
                    defer {
                        state.waiters = []
                        state.queued = []
                    }
                    return .closed(state.waiters, state.queued)
                }
                if !state.queued.isEmpty || !subscriptionsSent {
                    defer { state.queued = [] }
                    return .write(state.queued, subscriptionsSent ? [] : state.subscriptions)
                }
                state.connection = .connected(link)
                state.consecutiveFailures = 0
                defer { state.waiters = [] }
                return .up(state.waiters)
            }
            switch next {
            case .closed(let waiters, let queued):
                link.connection.close()
                let closed = WireError.unavailable("client for \(endpoint) is closed")
                for waiter in waiters { waiter.resume(throwing: closed) }
                for request in queued { request.completion(.failure(closed)) }
                return
            case .write(let queued, let subscriptions):
                if !subscriptionsSent {
                    for subscription in subscriptions { sendSubscription(op: subscription.op, body: subscription.body, on: link) }
                    subscriptionsSent = true
                }
                for request in queued {
                    dispatch(request.request, id: request.id, op: request.op, timeout: request.timeout, on: link, completion: request.completion)
                }
            case .up(let waiters):
                for waiter in waiters { waiter.resume(returning: link) }
                return
            }
        }
    }

    private func sendSubscription(op: String, body: [UInt8], on link: ClientLink) {
        let id = state.withLock { state -> String in
            state.nextId += 1
            return "w\(state.nextId)"
        }
        link.connection.send(Envelope.request(id: id, op: op, encodedBody: body))
    }

    // MARK: Called by the link, on its queue

    func received(_ message: IncomingMessage) {
        switch message {
        case .success(let id, let line):
            let pending = state.withLock { $0.pending.removeValue(forKey: id) }
            pending?.deliver(.success(line))
        case .failure(let id, let error):
            guard let id else { return }
            let pending = state.withLock { $0.pending.removeValue(forKey: id) }
            pending?.deliver(.failure(error))
        case .event(let name, let line):
            let handlers = state.withLock { $0.subscriptions.map(\.handler) }
            for handler in handlers { handler(name, line) }
        }
    }

    func linkClosed(_ link: ClientLink) {
        let identifier = ObjectIdentifier(link)
        let orphans = state.withLock { state -> [Pending] in
            if case .connected(let current) = state.connection, current === link {
                state.connection = .idle
                state.consecutiveFailures += 1
            }
            let orphaned = state.pending.filter { $0.value.link == identifier }
            for key in orphaned.keys { state.pending.removeValue(forKey: key) }
            return Array(orphaned.values)
        }
        for pending in orphans {
            pending.deliver(.failure(WireError.unavailable("connection to \(endpoint) lost")))
        }
    }

    private func failExpired() {
        let now = DispatchTime.now()
        let expired = state.withLock { state -> [Pending] in
            let late = state.pending.filter { $0.value.deadline <= now }
            for key in late.keys { state.pending.removeValue(forKey: key) }
            return Array(late.values)
        }
        for pending in expired {
            pending.deliver(.failure(WireError.unavailable("\(pending.op) to \(endpoint) timed out")))
        }
    }
}

extension LineClient: Service {
    /// Nothing to begin: a client connects on its first call.
    public func start() async throws {}

    /// Closes the connection; calls still waiting fail.
    public func stop() async {
        close()
    }
}
