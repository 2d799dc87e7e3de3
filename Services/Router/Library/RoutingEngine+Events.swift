public import Foundation
import SwitchboardCodec
public import SwitchboardDomain

/// Something that happens to one contact. Every one of them is decided by the routing core
/// (``RoutingEngine/handle(_:contact:at:)``), so the router, `simulate` and the scenario
/// replay make the same change for the same event.
public enum ContactEvent: Sendable, Equatable {
    /// A message to one of the location's accounts (`router.route`).
    case inbound(InboundMessage, account: Account)
    /// Tags added (`router.tag`).
    case tagged([String])
    /// A person assigned `user` (`router.assign`).
    case assigned(user: String)
    /// A person made `user` the owner in GoHighLevel (`router.crm_event`): kept like a manual
    /// assignment, and not pushed back to the CRM, which already has it.
    case assignedInCRM(user: String)
    /// A person released a manual assignment: the owner stays and may now be re-routed.
    case released
    /// A person removed the owner and every thread assignee.
    case unassigned
    /// The conversation is over: the contact stops counting toward anyone's load.
    case resolved
    /// `user` is leaving: the contact is decided afresh without them (`router.drain`, for each
    /// contact the user holds).
    case drained(user: String)
    /// The business answered the contact (`router.reply`): the reply owed is paid.
    case replied
    /// The contact's reply deadline passed (the router's timer): decided afresh without the
    /// owner, or the admins told.
    case replyOverdue
    /// Capacity may have freed: a queued contact is offered again.
    case dequeued

    /// Whether the event can leave someone with room for a queued contact (an owner loses a
    /// contact, or a contact leaves an owner's load), or is one people make when they free
    /// someone up (a release): the router offers queued contacts after it.
    public var mayFreeCapacity: Bool {
        switch self {
        case .assigned, .assignedInCRM, .released, .unassigned, .resolved, .drained, .replyOverdue: true
        case .inbound, .tagged, .replied, .dequeued: false
        }
    }

    /// The event's name in the decision history, in answers and in the event log.
    public var name: String {
        switch self {
        case .inbound: "inbound"
        case .tagged: "tag"
        case .assigned: "assign"
        case .assignedInCRM: "crm_assign"
        case .released: "release"
        case .unassigned: "unassign"
        case .resolved: "resolve"
        case .drained: "drain"
        case .replied: "reply"
        case .replyOverdue: "sla"
        case .dequeued: "dequeue"
        }
    }
}

/// An event about a contact the router has never seen (only a message creates a contact).
public struct UnknownContact: Error, CustomStringConvertible {
    public let event: String
    public var description: String { "a \(event) needs a contact that has written before" }
}

extension RoutingEngine {
    /// Decides `event` for `contact` (nil: a contact who has never written). An inbound message
    /// is decided at its own time; the other events at `at`.
    ///
    /// Every event answers a ``Decision`` with the contact as it becomes. Release, unassign,
    /// resolve, and tags that decide nothing are not routing decisions: theirs has
    /// `recorded == false`, so the contact's history (and `explain`) keeps its last decision.
    public func handle(_ event: ContactEvent, contact: ContactState?, at: Date) throws -> Decision {
        /// The contact an event other than a message is about, who must have written before.
        func existing() throws -> ContactState {
            guard let contact else { throw UnknownContact(event: event.name) }
            return contact
        }
        switch event {
        case .inbound(let message, let account): return try inbound(message, account: account, contact: contact)
        case .tagged(let tags): return try tagged(tags, contact: existing(), at: at)
        case .assigned(let user): return try assign(existing(), to: user, at: at)
        case .replied:
            var replied = try existing()
            replied.replyDeadline = nil
            return unrecorded(event, reason: .reply, contact: replied, at: at, crmChanged: false)
        case .replyOverdue: return try replyOverdue(existing(), at: at)
        case .dequeued:
            let contact = try existing()
            if let decision = try dequeue(contact, at: at) { return decision }
            return unrecorded(event, reason: .queued, contact: contact, at: at, crmChanged: false)
        case .assignedInCRM(let user):
            var decision = try assign(existing(), to: user, at: at)
            decision.trace = DecisionTrace(event: "\(user) was made owner of \(decision.contact.address) in GoHighLevel at \(RFC3339.format(at))")
            decision.trace.steps.append("A change made in GoHighLevel after Switchboard's last decision is kept like a manual assignment until released.")
            decision.crmChanged = false
            return decision
        case .released:
            var released = try existing()
            released.manual = false
            return unrecorded(event, reason: .release, contact: released, at: at, crmChanged: false)
        case .unassigned:
            var unassigned = try existing()
            unassigned.owner = nil
            unassigned.ownerAccount = nil
            unassigned.threads = [:]
            unassigned.manual = false
            unassigned.replyDeadline = nil
            unassigned.queuedFor = nil
            unassigned.queuedAt = nil
            return unrecorded(event, reason: .unassign, contact: unassigned, at: at, crmChanged: true)
        case .resolved:
            var resolved = try existing()
            resolved.open = false
            resolved.replyDeadline = nil
            resolved.queuedFor = nil
            resolved.queuedAt = nil
            return unrecorded(event, reason: .resolve, contact: resolved, at: at, crmChanged: false)
        case .drained(let user): return try drain(existing(), user: user, at: at)
        }
    }

    /// Whether a drain of `user` decides `contact` afresh: open, not protected by a manual
    /// assignment, and owned by the user or with a thread assigned to them. (The router's file
    /// asks the same in SQL: `RouterStore.contacts(location:ownedBy:)`.)
    public static func drains(_ contact: ContactState, user: String) -> Bool {
        contact.open && !contact.manual && (contact.owner == user || contact.threads.values.contains(user))
    }

    /// A change made by a person that decides no one.
    func unrecorded(_ event: ContactEvent, reason: DecisionReason, contact: ContactState, at: Date, crmChanged: Bool) -> Decision {
        var decision = Decision(
            contact: contact, user: nil, reason: reason, account: nil,
            trace: DecisionTrace(event: "\(event.name) of \(contact.address) at \(RFC3339.format(at))"))
        decision.recorded = false
        decision.crmChanged = crmChanged
        return decision
    }

    /// Tags added: an unowned contact is decided with the first `tags` entry (file order)
    /// matching an added tag; otherwise the tags are kept and nothing is decided.
    func tagged(_ added: [String], contact existing: ContactState, at: Date) throws -> Decision {
        var contact = existing
        for tag in added where !contact.tags.contains(tag) { contact.tags.append(tag) }
        let separate = config.location.multiTouch == .separate
        let threadAccount = separate ? contact.lastAccount : nil
        let unowned = separate ? threadAccount.map { contact.threads[$0] == nil } ?? false : contact.owner == nil
        let account = config.latestAccount(of: contact)
        guard unowned, let entry = config.tags.first(where: { added.contains($0.tag) }), let account else {
            return unrecorded(.tagged(added), reason: .tag, contact: contact, at: at, crmChanged: contact.tags != existing.tags)
        }
        var trace = DecisionTrace(event: "tags \(added.joined(separator: ", ")) were added to \(contact.address) at \(RFC3339.format(at))")
        trace.steps.append("Tag \(entry.tag) has an assignment and the contact is unowned: it decides.")
        return try apply((entry.assignment, .tag(entry.tag)), contact: contact, account: account, at: at, trace: trace,
                         freshReason: nil, thread: separate, excluding: nil, tagsChanged: true)
    }

    /// Drain: decide afresh on the contact's latest inbound message as if it arrived again at
    /// `at` (same account, text and source; the contact counts as existing), `user` excluded.
    func drain(_ contact: ContactState, user: String, at: Date) throws -> Decision {
        guard let account = config.latestAccount(of: contact) else {
            return Decision(contact: contact, user: contact.owner, reason: .noConfig, trace: DecisionTrace(event: "drain of \(user)"))
        }
        let separate = config.location.multiTouch == .separate
        var trace = DecisionTrace(event: "\(user) is drained: \(contact.address) is decided afresh at \(RFC3339.format(at))")
        trace.steps.append("Replaying the latest message to \(account.name), without \(user).")
        let facts = Facts(at: at, text: contact.lastText ?? "", source: contact.lastSource, account: account, isNew: false)
        return try decide(facts, contact: contact, trace: trace, freshReason: .ownerUnavailable, thread: separate,
                          excluding: Excluded(user: user, why: "being drained"), tagsChanged: false)
    }

    /// Manual assignment: a person sets the owner.
    func assign(_ contact: ContactState, to user: String, at: Date) throws -> Decision {
        var contact = contact
        contact.owner = user
        contact.manual = true
        contact.replyDeadline = nil
        contact.queuedFor = nil
        contact.queuedAt = nil
        if contact.ownerHistory.last != user { contact.ownerHistory.append(user) }
        var trace = DecisionTrace(event: "\(user) was assigned \(contact.address) by a person at \(RFC3339.format(at))")
        trace.steps.append("Manual assignments are kept until released.")
        var decision = Decision(contact: contact, user: user, reason: .manual, account: contact.ownerAccount, trace: trace)
        decision.notifications = try notify([user], kind: .assigned, at: at)
        decision.assigned = [user]
        decision.crmChanged = true
        return decision
    }
}

extension LocationConfig {
    /// The account a contact last wrote to (the first account when unknown): where an event
    /// without a message of its own (tags, drain, a person's change) is decided and notified.
    func latestAccount(of contact: ContactState) -> Account? {
        accounts.first { $0.id == contact.lastAccount } ?? accounts.first
    }
}
