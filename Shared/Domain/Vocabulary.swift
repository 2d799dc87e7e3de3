public import SwitchboardCodec

/// A word the services say to each other, as a type: each is the `String` it is on the wire
/// (`PROTOCOL.md`, `ROUTING.md`), so the format is unchanged, a misspelt value in the code is a
/// compile error instead of a branch never taken, and a wrong value on the wire is refused with
/// the field and the values allowed (`field config.accounts[0].platform is invalid: unknown
/// platform "sms" (whatsapp, imessage, twilio or ghl)`).
public protocol WireWord: RawRepresentable<String>, Codable, Sendable, CaseIterable, JSONWritable {
    /// What the word names, for the error message.
    static var wordName: String { get }
}

extension WireWord {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map(\.rawValue)
            let list = allowed.count > 1 ? allowed.dropLast().joined(separator: ", ") + " or " + allowed.last! : allowed.joined()
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown \(Self.wordName) \"\(text)\" (\(list))")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public func write(to writer: inout JSONWriter) { writer.string(rawValue) }
}

/// A messaging platform an account is on.
///
/// `ghl` is GoHighLevel's own conversations, for a business whose messages reach GoHighLevel
/// first (its `InboundMessage` webhook): such an account's address is the location id, and its
/// contacts are keyed `ghl:<GoHighLevel contact id>`.
public enum Platform: String, WireWord {
    public static let wordName = "platform"

    case whatsapp, imessage, twilio, ghl

    /// The platform's name for people.
    public var displayName: String {
        switch self {
        case .whatsapp: "WhatsApp"
        case .imessage: "iMessage/SMS"
        case .twilio: "SMS"
        case .ghl: "GoHighLevel"
        }
    }
}

/// Why a contact has the user it has after an event (`ROUTING.md`, "Reasons"); the events that
/// decide no one answer with their own name.
public enum DecisionReason: String, WireWord {
    public static let wordName = "reason"

    case account, rule, tag, backup, kept, manual, queued
    case afterHours = "after_hours"
    case noneTarget = "none_target"
    case noEligibleUser = "no_eligible_user"
    case noConfig = "no_config"
    case contextSwitch = "context_switch"
    case ownerUnavailable = "owner_unavailable"
    /// The owner did not reply within the assignment's `replyWithin`: someone else has it now.
    case slaReassigned = "sla_reassigned"
    /// The owner did not reply in time and the contact was not moved (the most re-assignments
    /// were made, or no one else can take it): the owner keeps it and the admins are told.
    case slaEscalated = "sla_escalated"
    /// A queued contact was assigned when someone could take it.
    case dequeued
    /// Events that change a contact without a routing decision.
    case release, unassign, resolve, reply

    /// Reasons that leave the contact with no one (reports count them as unassigned).
    public var leavesUnassigned: Bool { [.queued, .noneTarget, .noEligibleUser, .noConfig].contains(self) }
}

/// What a notification tells its user (`ROUTING.md` step 8).
public enum NotificationKind: String, WireWord {
    public static let wordName = "notification kind"

    case assigned, message, coverage, queued
    case manualRequired = "manual_required"
    /// A contact was taken from its owner for want of a reply, and given to someone else.
    case reassigned
}

/// How a user is notified.
public enum ChannelKind: String, WireWord {
    public static let wordName = "channel"

    /// A signed POST.
    case webhook
    /// A Slack-compatible incoming-webhook body.
    case slack
    /// A line of JSON appended to a file.
    case file
}

/// Why a candidate cannot take a contact now (`directory.resolve`).
public enum IneligibilityCode: String, WireWord {
    public static let wordName = "ineligibility code"

    case inactive, away
    case notAssignable = "not_assignable"
    case notMember = "not_member"
    case offShift = "off_shift"

    /// The user cannot be reached at all now (not merely off shift): no notification is sent.
    public var unreachable: Bool { self == .inactive || self == .away }
}

/// Where an inbound event stands in the adapters' inbox.
public enum InboxStatus: String, WireWord {
    public static let wordName = "inbox status"

    /// Committed, not yet acknowledged by the router.
    case pending
    /// The router decided it (or had decided it before).
    case done
    /// The router refused it for good (an unknown account, a malformed event); kept with the reason.
    case rejected
}
