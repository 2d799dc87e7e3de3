import Foundation
import SwitchboardDomain

/// What the router remembers of a contact (`ROUTING.md`, "Contact state").
public struct ContactState: Codable, Sendable, Equatable {
    public var location: String
    public var address: String
    public var name: String?
    public var owner: String?
    /// The account of the latest inbound message when the owner was set.
    public var ownerAccount: String?
    /// The owner was set by a person.
    public var manual = false
    public var open = true
    public var tags: [String] = []
    public var firstSource: MessageSource?
    /// The latest inbound message's account, text and source (drain replays it).
    public var lastAccount: String?
    public var lastText: String?
    public var lastSource: MessageSource?
    public var lastPlatform: String?
    /// `separate` strategy: account id → assignee.
    public var threads: [String: String] = [:]
    /// Every user who owned the contact, oldest first (the current owner last when set).
    public var ownerHistory: [String] = []

    public init(location: String, address: String) {
        self.location = location
        self.address = address
    }

    enum CodingKeys: String, CodingKey {
        case location, address, name, owner, ownerAccount, manual, open, tags, firstSource, lastAccount, lastText, lastSource, lastPlatform, threads, ownerHistory
    }

    /// The contact's most recent owner, the current one included.
    public var previousOwner: String? { ownerHistory.last }
}

/// Rotation memory of one target (a team and mode, or a pool's members and mode).
public struct RotationState: Codable, Sendable, Equatable {
    /// `round_robin`: the member picked last.
    public var lastPicked: String?
    /// `weighted`: the running totals of smooth weighted round robin.
    public var totals: [String: Int] = [:]

    public init(lastPicked: String? = nil, totals: [String: Int] = [:]) {
        self.lastPicked = lastPicked
        self.totals = totals
    }

    enum CodingKeys: String, CodingKey { case lastPicked, totals }
}

/// A notification the decision asks for.
public struct NotificationEffect: Codable, Sendable, Equatable {
    public var user: String
    public var kind: String
    public var channels: [NotifyChannel]
    public var name: String?

    enum CodingKeys: String, CodingKey { case user, kind, channels, name }
}

/// One candidate as the trace records it.
public struct TraceCandidate: Codable, Sendable, Equatable {
    public var user: String
    public var eligible: Bool
    /// Why not, for people: "away", "off shift (18:40 in America/Los_Angeles)", "at capacity 40/40".
    public var reasons: [String]

    enum CodingKeys: String, CodingKey { case user, eligible, reasons }
}

/// One target tried while picking.
public struct TraceTarget: Codable, Sendable, Equatable {
    /// `target`, `afterHours`, `backup 1`, `cover` …
    public var role: String
    public var target: String
    public var candidates: [TraceCandidate]
    /// The pick and the rotation state behind it, in words.
    public var pick: String?

    enum CodingKeys: String, CodingKey { case role, target, candidates, pick }
}

/// Everything needed to explain a decision (`ROUTING.md`, "Explain").
public struct DecisionTrace: Codable, Sendable, Equatable {
    public var event: String
    public var steps: [String] = []
    public var rules: [String] = []
    public var targets: [TraceTarget] = []

    enum CodingKeys: String, CodingKey { case event, steps, rules, targets }

    /// The trace as sentences.
    public var sentences: [String] {
        var lines = rules
        lines += steps
        for target in targets {
            lines.append("\(target.role.capitalizedFirst): \(target.target).")
            for candidate in target.candidates {
                lines.append("  \(candidate.user): " + (candidate.eligible ? "eligible" : candidate.reasons.joined(separator: ", ")))
            }
            if let pick = target.pick { lines.append("  \(pick)") }
        }
        return lines
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

/// What an event decided, before it is committed.
public struct Decision: Sendable, Equatable {
    public var contact: ContactState
    /// The user set by this decision (owner or thread assignee), or the kept owner; nil: none.
    public var user: String?
    public var reason: String
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
