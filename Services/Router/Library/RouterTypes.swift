import Foundation
public import SwitchboardDomain

/// What an event decided, before it is committed.
public struct Decision: Sendable, Equatable {
    public var contact: ContactState
    /// The user set by this decision (owner or thread assignee), or the kept owner; nil: none.
    public var user: String?
    public var reason: DecisionReason
    public var account: String?
    public var rule: String?
    public var tag: String?
    public var strategy: String?
    public var notifications: [NotificationEffect] = []
    public var rotations: [String: RotationState] = [:]
    /// Users who became an owner or thread assignee (least-loaded recency).
    public var assigned: [String] = []
    /// Whether the CRM must hear of it (owner or tags changed).
    public var crmChanged = false
    public var trace: DecisionTrace
    /// Whether the event enters the contact's decision history. A release, unassign, resolve,
    /// or tags that decide no one change the contact and record no decision, so its latest
    /// reason stays that of its last decision.
    public var recorded = true
}
