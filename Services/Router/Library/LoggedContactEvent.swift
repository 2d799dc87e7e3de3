public import Foundation
import SwitchboardDomain

/// A contact event other than a message, as the router logs it (`contact_events`) for
/// `simulate` to replay between the messages. A drain is logged once, without a contact: the
/// replay drains whichever contacts the user holds in the simulated world.
public struct LoggedContactEvent: Codable, Sendable, Equatable {
    public var event: String
    /// nil for a drain.
    public var contact: String?
    public var tags: [String]?
    public var user: String?
    public var at: Date

    enum CodingKeys: String, CodingKey { case event, contact, tags, user, at }

    /// Logs `event` for `contact`; nil for an inbound message, which its decision row keeps, and
    /// for what the router did of itself as time passed (a reply overdue, a queue pass), which
    /// a replay works out again from the configuration it replays.
    public init?(_ event: ContactEvent, contact: String, at: Date) {
        self.event = event.name
        self.contact = contact
        self.at = at
        switch event {
        case .inbound, .replyOverdue, .dequeued: return nil
        case .tagged(let tags): self.tags = tags
        case .assigned(let user), .assignedInCRM(let user): self.user = user
        case .drained(let user):
            self.contact = nil
            self.user = user
        case .released, .unassigned, .resolved, .replied: break
        }
    }

    /// The event to replay; nil for a name this build does not know.
    public var contactEvent: ContactEvent? {
        switch event {
        case "tag": .tagged(tags ?? [])
        case "assign": user.map { .assigned(user: $0) }
        case "crm_assign": user.map { .assignedInCRM(user: $0) }
        case "release": .released
        case "unassign": .unassigned
        case "resolve": .resolved
        case "reply": .replied
        case "drain": user.map { .drained(user: $0) }
        default: nil
        }
    }
}
