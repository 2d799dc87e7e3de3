public import Foundation
public import SwitchboardDomain

/// What the routing core reads besides the event and the contact: the directory's candidates,
/// and the router's own loads, recency and rotation state.
///
/// The router serves it from its copy of the directory and the location's loads, recency and
/// rotation as its ``LocationPipeline`` keeps them (one location's events are decided one at a
/// time, each on the state every earlier decision left); unit tests serve it from memory. This
/// is the engine's one seam.
///
/// Synchronous on purpose: whatever must be fetched (the directory's copy, the location's
/// snapshot) is fetched before the decision, so the engine is plain computation with no
/// suspension point in it.
public protocol RoutingWorld: Sendable {
    /// The target's users in rotation order with their eligibility at `at` (`directory.resolve`).
    func candidates(location: String, target: Target, at: Date) throws -> [Candidate]
    /// Open loads: open contacts owned, or open threads assigned under `separate`. A user with
    /// none may be absent.
    func loads(location: String, users: [String], threads: Bool) throws -> [String: Int]
    /// When each user last became an owner or thread assignee.
    func lastAssigned(location: String, users: [String]) throws -> [String: Date]
    func rotation(location: String, key: String) throws -> RotationState
}
