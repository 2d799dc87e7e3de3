public import Foundation

/// Something that happened to a contact in GoHighLevel that routing must know: a person added
/// tags, changed or removed the owner, or deleted the contact. Sent to `router.crm_event` by the
/// adapters (from GoHighLevel's signed webhooks, `id` = its `webhookId`).
///
/// Why a type of its own rather than the operator's `tag`/`assign`: a change made in the CRM is
/// already in the CRM, so deciding it must not push it back, and an old change (an echo of
/// Switchboard's own write, or one overtaken by a newer decision) must not undo a newer one.
public struct CRMEvent: Codable, Sendable, Equatable {
    public enum Kind: String, WireWord {
        public static let wordName = "CRM event kind"
        case tagged, assigned, deleted
        /// The contact's source (ad, campaign) as GoHighLevel attributes it.
        case attributed
    }

    /// Unique per event (GoHighLevel's `webhookId`): the inbox keeps one per id.
    public var id: String
    public var kind: Kind
    public var location: String
    /// The contact's address as routing keys it: the E.164 phone when GoHighLevel has one, else
    /// `ghl:<contact id>`.
    public var contact: String
    /// GoHighLevel's id of the contact.
    public var crmContactId: String?
    /// `tagged`: the contact's tags.
    public var tags: [String]
    /// `assigned`: the new owner's user id; nil: the owner was removed.
    public var user: String?
    /// The contact's attribution (`attributionSource`, else `source`), when the event carries one:
    /// the first message's `source` for the rules when it has none of its own.
    public var source: MessageSource?
    /// When it happened in GoHighLevel.
    public var at: Date

    public init(
        id: String, kind: Kind, location: String, contact: String, crmContactId: String? = nil, tags: [String] = [], user: String? = nil,
        source: MessageSource? = nil, at: Date
    ) {
        self.id = id
        self.kind = kind
        self.location = location
        self.contact = contact
        self.crmContactId = crmContactId
        self.tags = tags
        self.user = user
        self.source = source
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case id, kind, location, contact, crmContactId, tags, user, source, at }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        location = try container.decode(String.self, forKey: .location)
        contact = try container.decode(String.self, forKey: .contact)
        crmContactId = try container.decodeIfPresent(String.self, forKey: .crmContactId)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        user = try container.decodeIfPresent(String.self, forKey: .user)
        source = try container.decodeIfPresent(MessageSource.self, forKey: .source)
        at = try container.decode(Date.self, forKey: .at)
    }
}

/// `router.crm_event`'s answer: whether the change was applied to routing, and why not.
public struct CRMEventAnswer: Codable, Sendable, Equatable {
    public var applied: Bool
    public var owner: String?
    public var note: String

    public init(applied: Bool, owner: String?, note: String) {
        self.applied = applied
        self.owner = owner
        self.note = note
    }
}
