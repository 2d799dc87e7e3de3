import Foundation
import Synchronization
import SwitchboardDomain

/// A whole routing world in memory: the directory as a ``CandidateExpansion``, contacts, loads,
/// recency and rotation. Used to replay decisions without touching real state (`simulate`) and
/// to test the engine against `ROUTING.md` and the scenario files.
///
/// Thread-safe: all state is behind one mutex.
public final class MemoryRoutingWorld: RoutingWorld {
    private struct State {
        var directory: CandidateExpansion
        var contacts: [String: ContactState] = [:]
        var lastAssigned: [String: Date] = [:]
        var rotations: [String: RotationState] = [:]
        /// Open loads kept as counters, so a replay of many events stays linear.
        var contactLoads: [String: Int] = [:]
        var threadLoads: [String: Int] = [:]

        mutating func replace(_ contact: ContactState) {
            if let old = contacts[contact.address] { count(old, by: -1) }
            count(contact, by: 1)
            contacts[contact.address] = contact
        }

        private mutating func count(_ contact: ContactState, by delta: Int) {
            guard contact.open else { return }
            if let owner = contact.owner { contactLoads[owner, default: 0] += delta }
            for assignee in contact.threads.values { threadLoads[assignee, default: 0] += delta }
        }
    }

    private let state: Mutex<State>

    /// A world whose directory holds `config`'s users and teams.
    public init(config: LocationConfig) throws {
        var schedules: [String: Schedule] = [:]
        for user in config.users {
            if let days = user.schedule { schedules[user.id] = try Schedule(days: days) }
        }
        let directory = CandidateExpansion(
            location: config.location.id, locationZone: config.location.timezone,
            users: Dictionary(uniqueKeysWithValues: config.users.map { ($0.id, $0) }), members: Set(config.users.map(\.id)),
            teams: Dictionary(uniqueKeysWithValues: config.teams.map { ($0.id, $0) }), schedules: schedules)
        state = Mutex(State(directory: directory))
    }

    public func candidates(location: String, target: Target, at: Date) throws -> [Candidate] {
        let directory = state.withLock { $0.directory }
        return try directory.candidates(target, at: at)
    }

    public func loads(location: String, users: [String], threads: Bool) throws -> [String: Int] {
        state.withLock { state in
            let counters = threads ? state.threadLoads : state.contactLoads
            var loads: [String: Int] = [:]
            for user in users where (counters[user] ?? 0) > 0 { loads[user] = counters[user] }
            return loads
        }
    }

    public func lastAssigned(location: String, users: [String]) throws -> [String: Date] {
        state.withLock { $0.lastAssigned.filter { users.contains($0.key) } }
    }

    public func rotation(location: String, key: String) throws -> RotationState {
        state.withLock { $0.rotations[key] ?? RotationState() }
    }

    // MARK: Changing the world

    public func contact(_ address: String) -> ContactState? {
        state.withLock { $0.contacts[address] }
    }

    public var contacts: [ContactState] { state.withLock { Array($0.contacts.values) } }

    /// Applies a committed decision: what the router's transaction writes.
    public func commit(_ decision: Decision, at: Date) {
        state.withLock { state in
            state.replace(decision.contact)
            for (key, rotation) in decision.rotations { state.rotations[key] = rotation }
            for user in decision.assigned { state.lastAssigned[user] = at }
        }
    }

    public func save(_ contact: ContactState) {
        state.withLock { $0.replace(contact) }
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
