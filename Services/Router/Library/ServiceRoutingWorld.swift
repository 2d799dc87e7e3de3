import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// The router's ``RoutingWorld``: candidates from `switchboard-directory` through its
/// version-checked ``DirectoryCache``; loads, recency and rotation from the router's own file.
///
/// A directory that cannot be reached makes the decision fail `unavailable` (retryable): nothing
/// is committed and the adapters keep the message.
struct ServiceRoutingWorld: RoutingWorld {
    let directory: DirectoryCache
    let store: RouterStore

    func candidates(location: String, target: Target, at: Date) async throws -> [Candidate] {
        try await directory.candidates(location: location, target: target, at: at)
    }

    func loads(location: String, users: [String], threads: Bool) async throws -> [String: Int] {
        try await store.loads(location: location, users: users, threads: threads)
    }

    func lastAssigned(location: String, users: [String]) async throws -> [String: Date] {
        try await store.lastAssigned(location: location, users: users)
    }

    func rotation(location: String, key: String) async throws -> RotationState {
        try await store.rotation(location: location, key: key)
    }
}
