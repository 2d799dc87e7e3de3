import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// What one decision reads from the router's file, fetched in a single store job: whether the
/// message was processed, the contact, the location's open loads (a user absent from them has
/// none), recency and rotation. The engine then runs with no store round trip until the commit.
struct LocationSnapshot: Sendable {
    var processedAnswer: String?
    var contact: ContactState?
    var contactLoads: [String: Int] = [:]
    var threadLoads: [String: Int] = [:]
    var recency: [String: Date] = [:]
    var rotations: [String: RotationState] = [:]
}

extension RouterStore {
    func snapshot(location: String, address: String, platform: String?, messageID: String?) async throws -> LocationSnapshot {
        try await store.read { database in
            var snapshot = LocationSnapshot()
            if let platform, let messageID {
                snapshot.processedAnswer = try database.first(
                    "SELECT answer FROM processed WHERE platform = ? AND message_id = ?", [.text(platform), .text(messageID)]) { $0.string(0) }
                if snapshot.processedAnswer != nil { return snapshot }
            }
            snapshot.contact = try database.first("SELECT state FROM contacts WHERE location = ? AND address = ?", [.text(location), .text(address)]) {
                try WireJSON.decode(ContactState.self, from: Array($0.string(0).utf8))
            }
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
}

/// A ``RoutingWorld`` over a ``LocationSnapshot`` and the directory.
struct SnapshotWorld: RoutingWorld {
    let snapshot: LocationSnapshot
    let directory: DirectoryCache

    func candidates(location: String, target: Target, at: Date) async throws -> [Candidate] {
        try await directory.candidates(location: location, target: target, at: at)
    }

    func loads(location: String, users: [String], threads: Bool) async throws -> [String: Int] {
        let counted = threads ? snapshot.threadLoads : snapshot.contactLoads
        return counted.filter { users.contains($0.key) }
    }

    func lastAssigned(location: String, users: [String]) async throws -> [String: Date] {
        snapshot.recency.filter { users.contains($0.key) }
    }

    func rotation(location: String, key: String) async throws -> RotationState {
        snapshot.rotations[key] ?? RotationState()
    }
}
