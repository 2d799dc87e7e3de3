import Foundation
public import SwitchboardCodec

// `router.route` reads an inbound message per request; the plain case is read here and anything
// else falls back to `Decodable` (``JSONReadable``).

extension MessageSource: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(type: object.string("type"), id: object.optionalString("id"), campaign: object.optionalString("campaign"))
    }
}

extension InboundMessage: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(
            provider: object.string("provider"), messageId: object.string("messageId"), platform: object.word("platform", as: Platform.self),
            account: object.string("account"), contact: object.string("contact"), contactName: object.optionalString("contactName"),
            text: object.string("text"), mediaCount: object.integer("mediaCount"), source: object.optionalObject("source", as: MessageSource.self),
            at: object.date("at"))
    }
}

// `directory.resolve` reads a target per request; the two forms routing asks for most (a user,
// a team) are read here, any other form by `Decodable`. `.none` only fills the place of a value
// the failed reader discards.

extension Target: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        let forms = Self.formKeys.filter { object.contains($0.stringValue) }
        switch forms {
        case [.user]:
            self = .user(object.string("user"))
        case [.team]:
            let team = object.string("team")
            guard let mode = Mode(rawValue: object.string("mode")) else {
                object.fail()
                self = .none
                return
            }
            self = .team(team, mode)
        default:
            object.fail()
            self = .none
        }
    }
}

extension ResolveRequest: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(location: object.string("location"), target: object.object("target", as: Target.self) ?? .none, at: object.optionalDate("at"))
    }
}

// The notifier reads every enqueued item, and again each one it delivers.

extension NotifyChannel: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(channel: object.word("channel", as: ChannelKind.self), url: object.optionalString("url"), path: object.optionalString("path"))
    }
}

extension UserNotification: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(
            recipient: object.string("recipient"), recipientName: object.optionalString("recipientName"),
            channels: object.objects("channels", as: NotifyChannel.self), kind: object.word("kind", as: NotificationKind.self), location: object.string("location"),
            contact: object.string("contact"), contactName: object.optionalString("contactName"), account: object.string("account"),
            accountName: object.optionalString("accountName"), platform: object.optionalWord("platform", as: Platform.self), at: object.date("at"),
            summary: object.string("summary"))
    }
}

extension CRMUpdate: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        self.init(
            location: object.string("location"), contact: object.string("contact"), contactName: object.optionalString("contactName"),
            assignedTo: object.optionalString("assignedTo"), tags: object.strings("tags"), sequence: object.integer("sequence"))
    }
}

extension OutboxItem: JSONReadable {
    public init(reading object: inout JSONObjectReader) {
        id = object.string("id")
        notification = object.optionalObject("notification", as: UserNotification.self)
        crm = object.optionalObject("crm", as: CRMUpdate.self)
    }
}
