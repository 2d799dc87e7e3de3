import Foundation
public import SwitchboardCodec

// The router writes these for every decision (outbox items, the inbound message kept for
// `simulate`); each writes the members its `CodingKeys` name, as `JSONEncoder` would.

extension NotifyChannel: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("channel", channel)
        writer.member("url", url)
        writer.member("path", path)
        writer.endObject()
    }
}

extension MessageSource: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("type", type)
        writer.member("id", id)
        writer.member("campaign", campaign)
        writer.endObject()
    }
}

extension InboundMessage: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("provider", provider)
        writer.member("messageId", messageId)
        writer.member("platform", platform)
        writer.member("account", account)
        writer.member("contact", contact)
        writer.member("contactName", contactName)
        writer.member("text", text)
        writer.member("mediaCount", mediaCount)
        writer.member("source", source)
        writer.member("at", at)
        writer.endObject()
    }
}

extension UserNotification: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("recipient", recipient)
        writer.member("recipientName", recipientName)
        writer.member("channels", channels)
        writer.member("kind", kind)
        writer.member("location", location)
        writer.member("contact", contact)
        writer.member("contactName", contactName)
        writer.member("account", account)
        writer.member("accountName", accountName)
        writer.member("platform", platform)
        writer.member("at", at)
        writer.member("summary", summary)
        writer.endObject()
    }
}

extension CRMUpdate: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("location", location)
        writer.member("contact", contact)
        writer.member("contactName", contactName)
        writer.member("assignedTo", assignedTo)
        writer.member("tags", tags)
        writer.member("sequence", sequence)
        writer.endObject()
    }
}

extension OutboxItem: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("id", id)
        writer.member("notification", notification)
        writer.member("crm", crm)
        writer.endObject()
    }
}
