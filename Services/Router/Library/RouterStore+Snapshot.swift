import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// What a location's decisions read besides the contact: its open loads (a user absent from
/// them has none), recency and rotation. The pipeline loads it once and then keeps it in step
/// with every decision it makes, so the engine runs with no store round trip.
struct LocationSnapshot: Sendable {
    var contactLoads: [String: Int] = [:]
    var threadLoads: [String: Int] = [:]
    var recency: [String: Date] = [:]
    var rotations: [String: RotationState] = [:]

    /// Applies what `decision` changes to `old` (nil: a new contact), as the commit writes it
    /// in the file (``OpenLoad`` for the loads).
    mutating func record(_ decision: Decision, replacing old: ContactState?, at: Date) {
        replace(old, with: decision.contact)
        rotations.merge(decision.rotations) { _, new in new }
        for user in decision.assigned { recency[user] = at }
    }

    /// Moves the open loads from `old` (nil: a new contact) to `new` (``OpenLoad``'s rule).
    mutating func replace(_ old: ContactState?, with new: ContactState) {
        for (load, change) in OpenLoad.changes(from: old, to: new) {
            switch load.kind {
            case .contact: Self.add(change, to: load.user, in: &contactLoads)
            case .thread: Self.add(change, to: load.user, in: &threadLoads)
            }
        }
    }

    private static func add(_ delta: Int, to user: String, in loads: inout [String: Int]) {
        let count = loads[user, default: 0] + delta
        loads[user] = count > 0 ? count : nil
    }
}

extension RouterStore {
    func locationSnapshot(location: String) async throws -> LocationSnapshot {
        try await store.read { database in try Self.locationSnapshot(database, location: location) }
    }

    static func locationSnapshot(_ database: Database, location: String) throws -> LocationSnapshot {
        var snapshot = LocationSnapshot()
        snapshot.contactLoads = try openLoads(database, location: location, kind: .contact)
        snapshot.threadLoads = try openLoads(database, location: location, kind: .thread)
        try database.query("SELECT user, at FROM recency WHERE location = ?", [.text(location)]) {
            snapshot.recency[$0.string(0)] = Date(timeIntervalSince1970: $0.double(1))
        }
        try database.query("SELECT key, state FROM rotations WHERE location = ?", [.text(location)]) {
            snapshot.rotations[$0.string(0)] = try WireJSON.decode(RotationState.self, from: Array($0.string(1).utf8))
        }
        return snapshot
    }

    /// The answer stored for a message already decided.
    static func processedAnswer(_ database: Database, platform: Platform, messageID: String) throws -> String? {
        try database.first("SELECT answer FROM processed WHERE platform = ? AND message_id = ?", [.text(platform.rawValue), .text(messageID)]) { $0.string(0) }
    }

    static func contact(_ database: Database, location: String, address: String) throws -> ContactState? {
        try database.first("SELECT state FROM contacts WHERE location = ? AND address = ?", [.text(location), .text(address)]) {
            try WireJSON.decode(ContactState.self, from: Array($0.string(0).utf8))
        }
    }
}

/// A ``RoutingWorld`` over a ``LocationSnapshot`` and a copy of the directory: everything a
/// decision reads is in memory, so the engine runs without a suspension.
struct SnapshotWorld: RoutingWorld {
    let snapshot: LocationSnapshot
    let directory: CandidateExpansion

    func candidates(location: String, target: Target, at: Date) throws -> [Candidate] {
        switch Result(catching: { () throws(WireError) -> [Candidate] in try directory.candidates(target, at: at) }) {
        case .success(let candidates): return candidates
        case .failure(let error) where error.code == .notFound: return []
        case .failure(let error): throw error
        }
    }

    func loads(location: String, users: [String], threads: Bool) throws -> [String: Int] {
        let counted = threads ? snapshot.threadLoads : snapshot.contactLoads
        return counted.filter { users.contains($0.key) }
    }

    func lastAssigned(location: String, users: [String]) throws -> [String: Date] {
        snapshot.recency.filter { users.contains($0.key) }
    }

    func rotation(location: String, key: String) throws -> RotationState {
        snapshot.rotations[key] ?? RotationState()
    }
}
