/// One part of a service process with a life of its own: a listener, a client, the service's
/// logic over its store with its loops. Every part has the same two verbs, and the parts of a
/// process form a ``ServiceGroup``.
public protocol Service: AnyObject, Sendable {
    /// Begins work (listens, starts loops); throws when it cannot (a port in use).
    func start() async throws
    /// Ends work: refuses new work, lets what is in flight finish (``InFlight``), releases what
    /// it holds. Called once, and only after `start` succeeded.
    func stop() async
    /// The threads of this part whose progress the watchdog and health checks watch (its event
    /// loops, its store's thread).
    var heartbeatProbes: [Heartbeat.Probe] { get }
    /// Tells the part the process's heartbeat, for a part that reports health (a server's
    /// `health` op, `/healthz`).
    func reportHealth(from heartbeat: Heartbeat)
}

extension Service {
    public var heartbeatProbes: [Heartbeat.Probe] { [] }
    public func reportHealth(from heartbeat: Heartbeat) {}
}

/// The parts of one process, started in the order given and stopped in the reverse order, so
/// each part outlives the parts that use it: the line server stops taking requests before the
/// service it serves stops its loops and closes its store, and the clients that service calls
/// close last. A part that fails to start stops the parts started before it, in reverse.
public final class ServiceGroup: Sendable {
    public let parts: [any Service]

    public init(_ parts: [any Service]) {
        self.parts = parts
    }

    public func start() async throws {
        for (index, part) in parts.enumerated() {
            do {
                try await part.start()
            } catch {
                for started in parts[..<index].reversed() { await started.stop() }
                throw error
            }
        }
    }

    public func stop() async {
        for part in parts.reversed() { await part.stop() }
    }

    /// A heartbeat over every part's threads (each thread once).
    public func heartbeat() -> Heartbeat {
        var seen = Set<String>()
        return Heartbeat(probes: parts.flatMap(\.heartbeatProbes).filter { seen.insert($0.name).inserted })
    }
}
