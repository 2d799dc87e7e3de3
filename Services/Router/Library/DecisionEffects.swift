import Foundation
import SwitchboardDomain

/// What a decision sends once it is committed: a notification to each user it names and, when
/// the owner or the tags changed, the CRM update. Part of the routing core, so every event's
/// effects are made one way; the router writes them as outbox rows in the decision's
/// transaction.
struct DecisionEffects: Sendable {
    var notifications: [OutboxItem]
    /// The CRM update given the decision history's sequence (the CRM orders a contact's updates
    /// by it), so it can only be made inside the transaction; nil when the CRM need not hear.
    var crm: (@Sendable (Int) -> OutboxItem)?

    /// The effects of `decision`, their ids `key:index` and `key:crm` (stable across retries of
    /// the hand-off). `account` is the account written to (an inbound message's); for other
    /// events the contact's latest account stands in.
    init(_ decision: Decision, key: String, config: LocationConfig, account: Account? = nil, at: Date) {
        let contact = decision.contact
        let account = account ?? config.latestAccount(of: contact)
        notifications = decision.notifications.enumerated().map { index, effect in
            OutboxItem(id: "\(key):\(index)", notification: UserNotification(
                recipient: effect.user, recipientName: effect.name, channels: effect.channels, kind: effect.kind, location: config.location.id,
                contact: contact.address, contactName: contact.name, account: account?.address ?? "", accountName: account?.name,
                platform: account?.platform, at: at, summary: Self.summary(effect, contact: contact, account: account)))
        }
        guard decision.crmChanged else {
            crm = nil
            return
        }
        let location = config.location.id
        crm = { sequence in
            OutboxItem(id: "\(key):crm", crm: CRMUpdate(
                location: location, contact: contact.address, contactName: contact.name, assignedTo: contact.owner, tags: contact.tags, sequence: sequence))
        }
    }

    static func summary(_ effect: NotificationEffect, contact: ContactState, account: Account?) -> String {
        let who = contact.name.map { "\($0) (\(contact.address))" } ?? contact.address
        let via = account?.name ?? "an account"
        switch effect.kind {
        case .assigned: return "\(who) was assigned to \(effect.name ?? effect.user) via \(via)"
        case .message: return "New message from \(who) on \(via)"
        case .coverage: return "Cover for \(who) on \(via)"
        case .queued: return "\(who) is waiting in the queue (\(via))"
        case .manualRequired: return "\(who) on \(via) needs a manual assignment"
        case .reassigned: return "\(who) on \(via) was re-assigned: no reply from \(effect.name ?? effect.user) in time"
        }
    }
}
