public import Foundation

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
    public var lastPlatform: Platform?
    /// `separate` strategy: account id → assignee.
    public var threads: [String: String] = [:]
    /// Every user who owned the contact, oldest first (the current owner last when set).
    public var ownerHistory: [String] = []
    /// The reply the owner owes, when the assignment that picked them set `replyWithin`.
    public var replyDeadline: ReplyDeadline?
    /// The team the contact waits for (its latest decision was `queued`), and since when:
    /// queued contacts are offered to the team, oldest first, when someone can take them.
    public var queuedFor: String?
    public var queuedAt: Date?
    public init(location: String, address: String) {
        self.location = location
        self.address = address
    }

    enum CodingKeys: String, CodingKey {
        case location, address, name, owner, ownerAccount, manual, open, tags, firstSource, lastAccount, lastText, lastSource, lastPlatform, threads, ownerHistory
        case replyDeadline, queuedFor, queuedAt
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
    public var kind: NotificationKind
    public var channels: [NotifyChannel]
    public var name: String?

    public init(user: String, kind: NotificationKind, channels: [NotifyChannel], name: String? = nil) {
        self.user = user
        self.kind = kind
        self.channels = channels
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case user, kind, channels, name }
}

/// One candidate as the trace records it.
public struct TraceCandidate: Codable, Sendable, Equatable {
    public var user: String
    public var eligible: Bool
    /// Why not, for people: "away", "off shift (18:40 in America/Los_Angeles)", "at capacity 40/40".
    public var reasons: [String]

    public init(user: String, eligible: Bool, reasons: [String]) {
        self.user = user
        self.eligible = eligible
        self.reasons = reasons
    }

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

    public init(role: String, target: String, candidates: [TraceCandidate], pick: String? = nil) {
        self.role = role
        self.target = target
        self.candidates = candidates
        self.pick = pick
    }

    enum CodingKeys: String, CodingKey { case role, target, candidates, pick }
}

/// Everything needed to explain a decision (`ROUTING.md`, "Explain").
public struct DecisionTrace: Codable, Sendable, Equatable {
    public var event: String
    public var steps: [String] = []
    public var rules: [String] = []
    public var targets: [TraceTarget] = []

    public init(event: String, steps: [String] = [], rules: [String] = [], targets: [TraceTarget] = []) {
        self.event = event
        self.steps = steps
        self.rules = rules
        self.targets = targets
    }

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
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

/// The answer to `router.route` and the other deciding ops: who owns the contact now and why.
public struct RouteAnswer: Codable, Sendable, Equatable {
    public var contact: String
    public var owner: String?
    public var reason: DecisionReason
    public var user: String?
    public init(contact: String, owner: String? = nil, reason: DecisionReason, user: String? = nil) {
        self.contact = contact
        self.owner = owner
        self.reason = reason
        self.user = user
    }

    enum CodingKeys: String, CodingKey { case contact, owner, reason, user }
}

/// One decision in a contact's history, as `router.contact` and `router.explain` answer it.
public struct DecisionRecord: Codable, Sendable {
    public var seq: Int
    public var event: String
    public var account: String?
    public var user: String?
    public var reason: DecisionReason
    public var rule: String?
    public var tag: String?
    public var strategy: String?
    public var messageId: String?
    public var at: Date
    public var firstResponseAt: Date?
    public var trace: DecisionTrace
    public init(seq: Int, event: String, account: String? = nil, user: String? = nil, reason: DecisionReason, rule: String? = nil, tag: String? = nil, strategy: String? = nil, messageId: String? = nil, at: Date, firstResponseAt: Date? = nil, trace: DecisionTrace) {
        self.seq = seq
        self.event = event
        self.account = account
        self.user = user
        self.reason = reason
        self.rule = rule
        self.tag = tag
        self.strategy = strategy
        self.messageId = messageId
        self.at = at
        self.firstResponseAt = firstResponseAt
        self.trace = trace
    }

    enum CodingKeys: String, CodingKey { case seq, event, account, user, reason, rule, tag, strategy, messageId, at, firstResponseAt, trace }
}

/// `router.contact`: the contact and its decision history, oldest first.
public struct ContactResponse: Codable, Sendable {
    public var contact: ContactState
    public var history: [DecisionRecord]
    public init(contact: ContactState, history: [DecisionRecord]) {
        self.contact = contact
        self.history = history
    }

    enum CodingKeys: String, CodingKey { case contact, history }
}

/// `router.explain`: the latest decision and its explanation in sentences.
public struct ExplainResponse: Codable, Sendable {
    public var decision: DecisionRecord
    public var sentences: [String]
    public init(decision: DecisionRecord, sentences: [String]) {
        self.decision = decision
        self.sentences = sentences
    }

    enum CodingKeys: String, CodingKey { case decision, sentences }
}

/// `router.get_config`'s answer: the configuration a location runs and its stored version
/// (the console shows the version it edits and refuses to save over a newer one).
public struct ConfigResponse: Codable, Sendable {
    public var config: LocationConfig
    public var version: Int

    public init(config: LocationConfig, version: Int) {
        self.config = config
        self.version = version
    }
}

/// One entry of `router.locations`: a location the router has a configuration for.
/// `router.accounts`: the accounts of every location a router instance holds, so the adapters
/// can send an account's events to its location's instance.
public struct AccountIndex: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var platform: Platform
        public var address: String
        public var location: String

        public init(platform: Platform, address: String, location: String) {
            self.platform = platform
            self.address = address
            self.location = location
        }

        enum CodingKeys: String, CodingKey { case platform, address, location }
    }

    public var accounts: [Entry]

    public init(accounts: [Entry]) { self.accounts = accounts }

    enum CodingKeys: String, CodingKey { case accounts }
}

public struct LocationSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var timezone: String
    public var version: Int
    public var accounts: Int

    public init(id: String, name: String, timezone: String, version: Int, accounts: Int) {
        self.id = id
        self.name = name
        self.timezone = timezone
        self.version = version
        self.accounts = accounts
    }
}

/// `router.contacts`: contacts of a location, most recently assigned first, and the reason of
/// each one's latest decision by contact address (absent before the first decision).
public struct ContactsResponse: Codable, Sendable {
    public var contacts: [ContactState]
    public var reasons: [String: DecisionReason]

    public init(contacts: [ContactState], reasons: [String: DecisionReason]) {
        self.contacts = contacts
        self.reasons = reasons
    }
}

/// The body of every op that names only a location (`router.get_config`, `router.loads`,
/// `directory.list_users`, `notifier.ghl_users`, …).
public struct LocationRequest: Codable, Sendable {
    public var location: String

    public init(location: String) {
        self.location = location
    }

    enum CodingKeys: String, CodingKey { case location }
}
