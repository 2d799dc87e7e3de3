import Foundation
import Synchronization

/// Whether a service's threads still make progress: each event loop and each store thread is
/// asked, every round, to run a no-op, and the service counts as alive while every part ran the
/// previous round's. A hung loop or store (a handler stuck, a lock never released) stops the
/// systemd watchdog pings, so systemd restarts the process, and makes `/healthz` and `health`
/// say so; a process that merely answers is not enough.
public final class Heartbeat: Sendable {
    /// Asks one part to run `done` when it gets to it (an event loop's queue, a store's queue).
    public struct Probe: Sendable {
        public let name: String
        public let ask: @Sendable (_ done: @escaping @Sendable () -> Void) -> Void

        public init(name: String, ask: @escaping @Sendable (_ done: @escaping @Sendable () -> Void) -> Void) {
            self.name = name
            self.ask = ask
        }
    }

    private struct State {
        var round = 0
        /// The last round each part answered.
        var answered: [Int]
    }

    public let probes: [Probe]
    private let state: Mutex<State>

    public init(probes: [Probe]) {
        self.probes = probes
        state = Mutex(State(answered: Array(repeating: 0, count: probes.count)))
    }

    /// Starts a round: every part is asked to answer it. Call at the watchdog's interval.
    public func beat() {
        let round = state.withLock { state -> Int in
            state.round += 1
            return state.round
        }
        for (index, probe) in probes.enumerated() {
            probe.ask { [self] in state.withLock { $0.answered[index] = max($0.answered[index], round) } }
        }
    }

    /// The parts that have not answered the round before the current one (a part gets one whole
    /// interval to answer); empty while everything makes progress.
    public var stuck: [String] {
        state.withLock { state in
            probes.indices.filter { state.answered[$0] < state.round - 1 }.map { probes[$0].name }
        }
    }

    public var isAlive: Bool { stuck.isEmpty }
}

/// The heartbeat a server reports in its health check, set once the process's parts have
/// started (``Service/reportHealth(from:)``): one holder for the line servers' `health` and
/// the HTTP servers' `/healthz`.
public final class HealthReport: Sendable {
    private let heartbeat = Mutex<Heartbeat?>(nil)

    public init() {}

    public func follow(_ heartbeat: Heartbeat) {
        self.heartbeat.withLock { $0 = heartbeat }
    }

    /// The threads not progressing now; none before a heartbeat is followed.
    public var stuck: [String] { heartbeat.withLock { $0 }?.stuck ?? [] }
}
