public import Foundation
import SwitchboardCodec
public import SwitchboardDomain

/// Routing that acts when time passes rather than when a message arrives (`docs/routing.md`):
/// a reply not made in time moves the contact, and a queued contact is picked up once someone
/// can take it. The router's timers and queue passes call these; so do `simulate` and the
/// in-memory world, so all three move contacts the same way.
extension RoutingEngine {
    /// The reply deadline passed: decide afresh on the contact's latest message, without the
    /// owner who missed it (reason `sla_reassigned`; the new owner is told `assigned`, the old
    /// one `reassigned`). At the assignment's `maxReassignments`, or when no one else can take
    /// it, the owner keeps the contact and the admins are told (`sla_escalated`). A deadline no
    /// longer owed (the owner changed, a person took over, the contact closed) is dropped.
    func replyOverdue(_ contact: ContactState, at: Date) throws -> Decision {
        guard let deadline = contact.replyDeadline, deadline.due <= at else {
            return unrecorded(.replyOverdue, reason: .kept, contact: contact, at: at, crmChanged: false)
        }
        guard contact.open, !contact.manual, contact.owner == deadline.user, let account = config.latestAccount(of: contact) else {
            var settled = contact
            settled.replyDeadline = nil
            return unrecorded(.replyOverdue, reason: .kept, contact: settled, at: at, crmChanged: false)
        }
        var trace = DecisionTrace(
            event: "\(deadline.user) did not reply to \(contact.address) within \(deadline.window) (due \(RFC3339.format(deadline.due))); checked at \(RFC3339.format(at))")
        guard deadline.reassignments < deadline.maxReassignments else {
            trace.steps.append("\(deadline.reassignments) re-assignment(s) already made, the most this assignment allows: \(deadline.user) keeps the contact and the admins are told.")
            return try escalated(contact, account: account, trace: trace, at: at)
        }
        trace.steps.append("Deciding afresh on the latest message to \(account.name), without \(deadline.user) (re-assignment \(deadline.reassignments + 1) of at most \(deadline.maxReassignments)).")
        let facts = Facts(at: at, text: contact.lastText ?? "", source: contact.lastSource, account: account, isNew: false)
        var decision = try decide(facts, contact: contact, trace: trace, freshReason: .slaReassigned, thread: false,
                                  excluding: Excluded(user: deadline.user, why: "did not reply in time"), tagsChanged: false,
                                  reassignments: deadline.reassignments + 1)
        guard let user = decision.user, user != deadline.user else {
            var failed = decision.trace
            failed.steps.append("No one else can take it: \(deadline.user) keeps the contact and the admins are told.")
            return try escalated(contact, account: account, trace: failed, at: at)
        }
        decision.notifications += try notify([deadline.user], kind: .reassigned, at: at)
        return decision
    }

    /// The owner keeps a contact whose reply is overdue, with no deadline now; the admins are told.
    private func escalated(_ contact: ContactState, account: Account, trace: DecisionTrace, at: Date) throws -> Decision {
        var kept = contact
        kept.replyDeadline = nil
        var decision = Decision(contact: kept, user: kept.owner, reason: .slaEscalated, account: account.id, trace: trace)
        decision.notifications = try notifyAdmins(at: at)
        return decision
    }

    /// Offers a queued contact again at `at`: decided afresh on its latest message (as a drain
    /// replays it, the contact counting as existing) with reason `dequeued`. Nil when no one can
    /// take it yet (it stays queued, in its place, and nothing is recorded), or when its team
    /// does not assign its queue (`teams[].assignQueued`).
    func dequeue(_ contact: ContactState, at: Date) throws -> Decision? {
        guard contact.open, let team = contact.queuedFor, config.assignsQueue(of: team), let account = config.latestAccount(of: contact) else { return nil }
        let separate = config.location.multiTouch == .separate
        guard separate ? contact.threads[account.id] == nil : contact.owner == nil else { return nil }
        var trace = DecisionTrace(
            event: "\(contact.address) waited in the queue of \(team) since \(RFC3339.format(contact.queuedAt ?? at)) and was offered again at \(RFC3339.format(at))")
        trace.steps.append("Deciding afresh on the latest message to \(account.name).")
        let facts = Facts(at: at, text: contact.lastText ?? "", source: contact.lastSource, account: account, isNew: false)
        let decision = try decide(facts, contact: contact, trace: trace, freshReason: .dequeued, thread: separate, excluding: nil, tagsChanged: false)
        return decision.user == nil ? nil : decision
    }
}

extension LocationConfig {
    /// Whether contacts queued for `team` are assigned when a member can take one.
    public func assignsQueue(of team: String) -> Bool {
        teams.contains { $0.id == team && $0.assignQueued }
    }

    /// Whether any team assigns its queue (a location without one needs no queue passes).
    public var assignsAnyQueue: Bool { teams.contains(where: \.assignQueued) }
}

/// The order time-driven work is done in, the same for the router, `simulate` and the
/// in-memory world.
public enum TimedRouting {
    /// Deadlines fire earliest first (ties by address).
    public static func dueOrder(_ contacts: [ContactState], upTo: Date) -> [ContactState] {
        contacts.filter { ($0.replyDeadline?.due).map { $0 <= upTo } ?? false }
            .sorted { ($0.replyDeadline!.due, $0.address) < ($1.replyDeadline!.due, $1.address) }
    }

    /// Offers queued contacts in arrival order (ties by address). Once one of a team's contacts
    /// cannot be placed, that team's later contacts are not offered in this pass, so no one
    /// jumps the queue (a later contact could otherwise fit where an earlier one did not, by
    /// a rule or a skill). `offer` places one contact and says whether it did.
    public static func queuePass(_ queued: [ContactState], offer: (ContactState) throws -> Bool) rethrows {
        var blocked = Set<String>()
        let ordered = queued.sorted { ($0.queuedAt ?? .distantPast, $0.address) < ($1.queuedAt ?? .distantPast, $1.address) }
        for contact in ordered {
            guard let team = contact.queuedFor, !blocked.contains(team) else { continue }
            if try !offer(contact) { blocked.insert(team) }
        }
    }
}
