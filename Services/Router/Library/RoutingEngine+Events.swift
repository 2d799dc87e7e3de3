import Foundation
import SwitchboardCodec
import SwitchboardDomain

extension RoutingEngine {
    /// Tags added (`router.tag`): an unowned contact is decided with the first `tags` entry (file
    /// order) matching an added tag. Returns nil when nothing is decided (the tags are still kept).
    public func tagged(_ added: [String], contact existing: ContactState, at: Date) throws -> (ContactState, Decision?) {
        var contact = existing
        for tag in added where !contact.tags.contains(tag) { contact.tags.append(tag) }
        let separate = config.location.multiTouch == .separate
        let threadAccount = separate ? contact.lastAccount : nil
        let unowned = separate ? threadAccount.map { contact.threads[$0] == nil } ?? false : contact.owner == nil
        guard unowned, let entry = config.tags.first(where: { added.contains($0.tag) }) else { return (contact, nil) }
        let account = config.accounts.first { $0.id == contact.lastAccount } ?? config.accounts.first
        guard let account else { return (contact, nil) }
        var trace = DecisionTrace(event: "tags \(added.joined(separator: ", ")) were added to \(contact.address) at \(RFC3339.format(at))")
        trace.steps.append("Tag \(entry.tag) has an assignment and the contact is unowned: it decides.")
        let decision = try apply((entry.assignment, .tag(entry.tag)), contact: contact, account: account, at: at, trace: trace,
                                       freshReason: nil, thread: separate, excluding: nil, tagsChanged: true)
        return (decision.contact, decision)
    }

    /// Drain: decide afresh as if the contact's latest inbound message arrived again at `at`
    /// (same account, text and source; the contact counts as existing), `user` excluded.
    public func drain(_ contact: ContactState, user: String, at: Date) throws -> Decision {
        let account = config.accounts.first { $0.id == contact.lastAccount } ?? config.accounts.first
        guard let account else {
            return Decision(contact: contact, user: contact.owner, reason: "no_config", trace: DecisionTrace(event: "drain of \(user)"))
        }
        let message = InboundMessage(
            provider: "drain", messageId: "drain", platform: contact.lastPlatform ?? account.platform, account: account.address,
            contact: contact.address, text: contact.lastText ?? "", source: contact.lastSource, at: at)
        let separate = config.location.multiTouch == .separate
        var trace = DecisionTrace(event: "\(user) is drained: \(contact.address) is decided afresh at \(RFC3339.format(at))")
        trace.steps.append("Replaying the latest message to \(account.name), without \(user).")
        return try decide(Event(message: message, account: account, isNew: false), contact: contact, trace: trace,
                                freshReason: "owner_unavailable", thread: separate, excluding: user, tagsChanged: false)
    }

    /// Manual assignment (`router.assign`): a person sets the owner.
    public func assign(_ contact: ContactState, to user: String, at: Date) throws -> Decision {
        var contact = contact
        contact.owner = user
        contact.manual = true
        if contact.ownerHistory.last != user { contact.ownerHistory.append(user) }
        var trace = DecisionTrace(event: "\(user) was assigned \(contact.address) by a person at \(RFC3339.format(at))")
        trace.steps.append("Manual assignments are kept until released.")
        var decision = Decision(contact: contact, user: user, reason: "manual", account: contact.ownerAccount, trace: trace)
        decision.notifications = try notify([user], kind: "assigned", at: at)
        decision.assigned = [user]
        decision.crmChanged = true
        return decision
    }
}
