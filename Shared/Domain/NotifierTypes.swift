public import Foundation

/// One effect handed to `notifier.enqueue`: a user notification or a CRM update, with the unique
/// id that makes the hand-off idempotent (DESIGN.md, "the hand-off pattern").
public struct OutboxItem: Codable, Sendable, Equatable {
    public var id: String
    public var notification: UserNotification?
    public var crm: CRMUpdate?

    public init(id: String, notification: UserNotification) {
        self.id = id
        self.notification = notification
        crm = nil
    }

    public init(id: String, crm: CRMUpdate) {
        self.id = id
        notification = nil
        self.crm = crm
    }

    enum CodingKeys: String, CodingKey { case id, notification, crm }
}

/// Tell a user about a contact (`ROUTING.md` step 8: assigned, message, coverage, queued,
/// manual_required), over the channels the router got from the directory.
public struct UserNotification: Codable, Sendable, Equatable {
    public var recipient: String
    public var recipientName: String?
    public var channels: [NotifyChannel]
    public var kind: NotificationKind
    public var location: String
    public var contact: String
    public var contactName: String?
    public var account: String
    public var accountName: String?
    public var platform: Platform?
    public var at: Date
    /// One short sentence for people.
    public var summary: String

    public init(
        recipient: String, recipientName: String? = nil, channels: [NotifyChannel], kind: NotificationKind, location: String, contact: String,
        contactName: String? = nil, account: String, accountName: String? = nil, platform: Platform? = nil, at: Date, summary: String
    ) {
        self.recipient = recipient
        self.recipientName = recipientName
        self.channels = channels
        self.kind = kind
        self.location = location
        self.contact = contact
        self.contactName = contactName
        self.account = account
        self.accountName = accountName
        self.platform = platform
        self.at = at
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case recipient, recipientName, channels, kind, location, contact, contactName, account, accountName, platform, at, summary
    }
}

/// Write an assignment into GoHighLevel: upsert the contact, set `assignedTo`, add tags.
///
/// `sequence` orders the updates of one contact: the notifier never applies one older than the
/// last it applied, so a late retry cannot overwrite a newer assignment.
public struct CRMUpdate: Codable, Sendable, Equatable {
    public var location: String
    public var contact: String
    public var contactName: String?
    public var assignedTo: String?
    public var tags: [String]
    public var sequence: Int

    public init(location: String, contact: String, contactName: String? = nil, assignedTo: String?, tags: [String], sequence: Int) {
        self.location = location
        self.contact = contact
        self.contactName = contactName
        self.assignedTo = assignedTo
        self.tags = tags
        self.sequence = sequence
    }

    enum CodingKeys: String, CodingKey { case location, contact, contactName, assignedTo, tags, sequence }
}
