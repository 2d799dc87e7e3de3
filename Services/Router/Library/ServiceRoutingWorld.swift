import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// The router's ``RoutingWorld``: candidates from `switchboard-directory` (so a directory change
/// is seen by the very next decision), loads, recency and rotation from the router's own file.
///
/// A directory that cannot be reached makes the decision fail `unavailable` (retryable): nothing
/// is committed and the adapters keep the message.
struct ServiceRoutingWorld: RoutingWorld {
    let directory: LineClient
    let store: RouterStore

    func candidates(location: String, target: Target, at: Date) async throws -> [Candidate] {
        do {
            return try await directory.call("directory.resolve", ResolveRequest(location: location, target: target, at: at), as: ResolveResponse.self).candidates
        } catch let error as WireError where error.code == .notFound {
            return []
        } catch let error as WireError where error.retryable {
            throw WireError.unavailable("directory: \(error.message)")
        }
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
