import Foundation
import SwitchboardDomain

/// What the routing core reads besides the event and the contact: the directory's candidates,
/// and the router's own loads, recency and rotation state.
///
/// The router serves it from its copy of the directory and the location's loads, recency and
/// rotation as its ``LocationPipeline`` keeps them (one location's events are decided one at a
/// time, each on the state every earlier decision left); unit tests serve it from memory. This
/// is the engine's one seam.
public protocol RoutingWorld: Sendable {
    /// The target's users in rotation order with their eligibility at `at` (`directory.resolve`).
    func candidates(location: String, target: Target, at: Date) async throws -> [Candidate]
    /// Open loads: open contacts owned, or open threads assigned under `separate`. A user with
    /// none may be absent.
    func loads(location: String, users: [String], threads: Bool) async throws -> [String: Int]
    /// When each user last became an owner or thread assignee.
    func lastAssigned(location: String, users: [String]) async throws -> [String: Date]
    func rotation(location: String, key: String) async throws -> RotationState
}
