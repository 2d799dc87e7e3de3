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

    /// Applies what `decision` changes to `old` (nil: a new contact), as the commit's writes and
    /// the load triggers will in the file.
    mutating func record(_ decision: Decision, replacing old: ContactState?, at: Date) {
        if let old, old.open {
            if let owner = old.owner { Self.add(-1, to: owner, in: &contactLoads) }
            for assignee in old.threads.values { Self.add(-1, to: assignee, in: &threadLoads) }
        }
        let new = decision.contact
        if new.open {
            if let owner = new.owner { Self.add(1, to: owner, in: &contactLoads) }
            for assignee in new.threads.values { Self.add(1, to: assignee, in: &threadLoads) }
        }
        rotations.merge(decision.rotations) { _, new in new }
        for user in decision.assigned { recency[user] = at }
    }

    private static func add(_ delta: Int, to user: String, in loads: inout [String: Int]) {
        let count = loads[user, default: 0] + delta
        loads[user] = count > 0 ? count : nil
    }
}

/// One message's reads before its decision: whether it was processed (its stored answer), and
/// the contact unless the caller already has it.
struct MessageLookup: Sendable {
    var platform: String
    var messageID: String
    var address: String?
}

extension RouterStore {
    func locationSnapshot(location: String) async throws -> LocationSnapshot {
        try await store.read { database in
            var snapshot = LocationSnapshot()
            snapshot.contactLoads = try RouterStore.openLoads(database, location: location, kind: "contact")
            snapshot.threadLoads = try RouterStore.openLoads(database, location: location, kind: "thread")
            try database.query("SELECT user, at FROM recency WHERE location = ?", [.text(location)]) {
                snapshot.recency[$0.string(0)] = Date(timeIntervalSince1970: $0.double(1))
            }
            try database.query("SELECT key, state FROM rotations WHERE location = ?", [.text(location)]) {
                snapshot.rotations[$0.string(0)] = try WireJSON.decode(RotationState.self, from: Array($0.string(1).utf8))
            }
            return snapshot
        }
    }

    /// The stored answer (if processed) and contact of each lookup, in one store job.
    func lookUp(_ lookups: [MessageLookup], location: String) async throws -> [(answer: String?, contact: ContactState?)] {
        try await store.read { database in
            try lookups.map { lookup in
                let answer = try database.first(
                    "SELECT answer FROM processed WHERE platform = ? AND message_id = ?", [.text(lookup.platform), .text(lookup.messageID)]) { $0.string(0) }
                guard answer == nil, let address = lookup.address else { return (answer, nil) }
                let contact = try database.first("SELECT state FROM contacts WHERE location = ? AND address = ?", [.text(location), .text(address)]) {
                    try WireJSON.decode(ContactState.self, from: Array($0.string(0).utf8))
                }
                return (nil, contact)
            }
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
