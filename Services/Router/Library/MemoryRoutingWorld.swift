public import Foundation
import Synchronization
public import SwitchboardDomain

/// A whole routing world in memory: the directory as a ``CandidateExpansion``, contacts, loads,
/// recency and rotation. Used to replay decisions without touching real state (`simulate`) and
/// to test the engine against `ROUTING.md` and the scenario files.
///
/// Thread-safe: all state is behind one mutex.
public final class MemoryRoutingWorld: RoutingWorld {
    private struct State {
        var directory: CandidateExpansion
        var contacts: [String: ContactState] = [:]
        /// When each contact last got an owner or assignee: a drain takes the oldest first.
        var assignedAt: [String: Date] = [:]
        /// Loads, recency and rotation, kept as the router's pipeline keeps them.
        var snapshot = LocationSnapshot()
        /// The contacts owing a reply, and those waiting in a queue: what the router's `due_at`
        /// and `queued_at` columns index, so `simulate` (which looks before every replayed
        /// event) does not scan every contact.
        var owing: Set<String> = []
        var queued: Set<String> = []
    }

    private let state: Mutex<State>

    /// A world whose directory holds `config`'s users and teams.
    public init(config: LocationConfig) throws {
        state = Mutex(State(directory: try Self.directory(of: config)))
    }

    private static func directory(of config: LocationConfig) throws -> CandidateExpansion {
        var schedules: [String: Schedule] = [:]
        for user in config.users {
            if let days = user.schedule { schedules[user.id] = try Schedule(days: days) }
        }
        return CandidateExpansion(
            location: config.location.id, locationZone: config.location.timezone,
            users: Dictionary(uniqueKeysWithValues: config.users.map { ($0.id, $0) }), members: Set(config.users.map(\.id)),
            teams: Dictionary(uniqueKeysWithValues: config.teams.map { ($0.id, $0) }), schedules: schedules)
    }

    public func candidates(location: String, target: Target, at: Date) throws -> [Candidate] {
        let directory = state.withLock { $0.directory }
        return try directory.candidates(target, at: at)
    }

    public func loads(location: String, users: [String], threads: Bool) throws -> [String: Int] {
        try world.loads(location: location, users: users, threads: threads)
    }

    public func lastAssigned(location: String, users: [String]) throws -> [String: Date] {
        try world.lastAssigned(location: location, users: users)
    }

    public func rotation(location: String, key: String) throws -> RotationState {
        try world.rotation(location: location, key: key)
    }

    private var world: SnapshotWorld {
        state.withLock { SnapshotWorld(snapshot: $0.snapshot, directory: $0.directory) }
    }

    // MARK: Changing the world

    public func contact(_ address: String) -> ContactState? {
        state.withLock { $0.contacts[address] }
    }

    public var contacts: [ContactState] { state.withLock { Array($0.contacts.values) } }

    /// The contacts owing a reply.
    private var owingReplies: [ContactState] { state.withLock { state in state.owing.compactMap { state.contacts[$0] } } }

    /// Applies a committed decision: what the router's transaction writes.
    public func commit(_ decision: Decision, at: Date) {
        state.withLock { state in
            state.snapshot.record(decision, replacing: state.contacts[decision.contact.address], at: at)
            let contact = decision.contact
            state.contacts[contact.address] = contact
            if contact.replyDeadline != nil { state.owing.insert(contact.address) } else { state.owing.remove(contact.address) }
            if contact.open, contact.queuedFor != nil { state.queued.insert(contact.address) } else { state.queued.remove(contact.address) }
            if !decision.assigned.isEmpty { state.assignedAt[decision.contact.address] = at }
        }
    }

    /// Decides `event` with `engine` and commits it, as the router does: for the contact at
    /// `address`, or, for a drain without one, for every contact the user holds, oldest
    /// assignment first. After an event that may free capacity, queued contacts are offered
    /// again, as the router does. Returns the decisions in order.
    @discardableResult
    public func handle(_ event: ContactEvent, contact address: String?, at: Date, engine: RoutingEngine) throws -> [Decision] {
        let addresses: [String]
        if let address {
            addresses = [address]
        } else if case .drained(let user) = event {
            addresses = state.withLock { state in
                state.contacts.values.filter { RoutingEngine.drains($0, user: user) }
                    .sorted { (state.assignedAt[$0.address] ?? .distantPast, $0.address) < (state.assignedAt[$1.address] ?? .distantPast, $1.address) }
                    .map(\.address)
            }
        } else {
            addresses = []
        }
        var decisions = try addresses.map { address in
            let decision = try engine.handle(event, contact: contact(address), at: at)
            commit(decision, at: at)
            return decision
        }
        if event.mayFreeCapacity { decisions += try offerQueued(at: at, engine: engine) }
        return decisions
    }

    /// Time passes up to `time` with no message: every reply deadline due by then fires at its
    /// due time (earliest first, each followed by a queue pass, as the router's timers do), then
    /// queued contacts are offered at `time` (`router.advance_clock`, the scenario's `advance`).
    @discardableResult
    public func advance(to time: Date, engine: RoutingEngine) throws -> [Decision] {
        try fireDeadlines(upTo: time, engine: engine) + offerQueued(at: time, engine: engine)
    }

    /// Fires every reply deadline due by `time`, each at its due time (`simulate` calls this
    /// before each replayed event).
    @discardableResult
    public func fireDeadlines(upTo time: Date, engine: RoutingEngine) throws -> [Decision] {
        var decisions: [Decision] = []
        while let next = TimedRouting.dueOrder(owingReplies, upTo: time).first, let due = next.replyDeadline?.due {
            let decision = try engine.handle(.replyOverdue, contact: next, at: due)
            commit(decision, at: due)
            decisions.append(decision)
            decisions += try offerQueued(at: due, engine: engine)
        }
        return decisions
    }

    /// One queue pass at `at` (``TimedRouting/queuePass(_:offer:)``).
    public func offerQueued(at: Date, engine: RoutingEngine) throws -> [Decision] {
        var decisions: [Decision] = []
        try TimedRouting.queuePass(state.withLock { state in state.queued.compactMap { state.contacts[$0] } }) { queued in
            guard let decision = try engine.dequeue(queued, at: at) else { return false }
            commit(decision, at: at)
            decisions.append(decision)
            return true
        }
        return decisions
    }

    /// A new configuration applied: the directory becomes its users and teams, as `apply`
    /// makes it; contacts, loads, recency and rotation stay.
    public func reconfigure(_ config: LocationConfig) throws {
        let directory = try Self.directory(of: config)
        state.withLock { $0.directory = directory }
    }

    /// A directory change (`directory.update_user`).
    public func updateUser(_ id: String, _ change: (inout DirectoryUser) -> Void) throws {
        try state.withLock { state in
            guard var user = state.directory.users[id] else { throw RoutingWorldError("no user \(id)") }
            change(&user)
            state.directory.users[id] = user
            state.directory.schedules[id] = try user.schedule.map { try Schedule(days: $0) }
        }
    }
}

/// A change the in-memory world cannot make (e.g. an unknown user).
public struct RoutingWorldError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
