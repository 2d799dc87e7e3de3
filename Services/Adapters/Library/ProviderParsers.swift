import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// A webhook body that could not be read: answered 400, nothing stored.
struct MalformedWebhook: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Twilio messaging webhooks (form-encoded): inbound SMS/MMS/WhatsApp and status callbacks.
enum TwilioParser {
    static func value(_ parameters: [(name: String, value: String)], _ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }


    /// The parameters of a JSON body (an object whose values are strings, numbers or booleans,
    /// as Twilio's JSON webhooks send the form's fields); nil for anything else.
    static func jsonParameters(_ body: [UInt8]) -> [(name: String, value: String)]? {
        guard let object = try? WireJSON.decode([String: JSONValue].self, from: body) else { return nil }
        var parameters: [(name: String, value: String)] = []
        for (name, value) in object {
            switch value {
            case .string(let text): parameters.append((name, text))
            case .number(let number): parameters.append((name, number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)))
            case .bool(let flag): parameters.append((name, flag ? "true" : "false"))
            case .null: continue
            default: return nil
            }
        }
        return parameters
    }

    /// An inbound message; `at` is the arrival time (Twilio sends no message timestamp).
    static func inbound(_ parameters: [(name: String, value: String)], at: Date) throws -> InboundMessage {
        guard let sid = value(parameters, "MessageSid") ?? value(parameters, "SmsSid"),
              let from = value(parameters, "From").map(ContactAddress.normalize), let to = value(parameters, "To").map(ContactAddress.normalize)
        else { throw MalformedWebhook("Twilio webhook without MessageSid, From or To") }
        var source: MessageSource?
        if let type = value(parameters, "ReferralSourceType") {
            source = MessageSource(type: type, id: value(parameters, "ReferralSourceId"), campaign: value(parameters, "ReferralHeadline"))
        }
        return InboundMessage(
            provider: "twilio", messageId: sid, platform: .twilio, account: to,
            contact: from, contactName: value(parameters, "ProfileName"), text: value(parameters, "Body") ?? "",
            mediaCount: Int(value(parameters, "NumMedia") ?? "0") ?? 0, source: source, at: at)
    }

    /// A status callback: an outbound message `sent` or `delivered` is the business replying
    /// (From = the business, To = the contact); queued, failed or undelivered ones are not. Both
    /// callbacks of one message carry its sid, so the inbox stores the reply once.
    static func reply(_ parameters: [(name: String, value: String)], at: Date) throws -> ReplyEvent? {
        guard let sid = value(parameters, "MessageSid") ?? value(parameters, "SmsSid"),
              let status = value(parameters, "MessageStatus") ?? value(parameters, "SmsStatus"),
              let from = value(parameters, "From").map(ContactAddress.normalize), let to = value(parameters, "To").map(ContactAddress.normalize)
        else { throw MalformedWebhook("Twilio status callback without MessageSid, MessageStatus, From or To") }
        guard status == "sent" || status == "delivered" else { return nil }
        return ReplyEvent(provider: "twilio", messageId: sid, platform: .twilio, account: from, contact: to, at: at)
    }
}

/// WhatsApp Cloud API webhooks (JSON): several entries, changes, messages and statuses per POST.
enum WhatsAppParser {
    struct Payload: Decodable {
        var entry: [Entry]
        enum CodingKeys: String, CodingKey { case entry }
    }

    struct Entry: Decodable {
        var changes: [Change]
        enum CodingKeys: String, CodingKey { case changes }
    }

    /// One change of an entry. Only `field == "messages"` carries messages and statuses; Meta
    /// sends the others (template status, account, quality and phone number updates …) to the
    /// same callback, and retries for days any POST not answered 200, so they are acknowledged
    /// and not read (`value` nil), whatever their shape.
    struct Change: Decodable {
        var field: String?
        var value: Value?
        enum CodingKeys: String, CodingKey { case field, value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            field = try container.decodeIfPresent(String.self, forKey: .field)
            value = (field ?? "messages") == "messages" ? try container.decode(Value.self, forKey: .value) : nil
        }
    }

    struct Value: Decodable {
        var metadata: Metadata
        var contacts: [Contact]?
        var messages: [Message]?
        var statuses: [Status]?
        enum CodingKeys: String, CodingKey { case metadata, contacts, messages, statuses }
    }

    struct Metadata: Decodable {
        var displayPhoneNumber: String?
        var phoneNumberId: String?
        enum CodingKeys: String, CodingKey { case displayPhoneNumber = "display_phone_number", phoneNumberId = "phone_number_id" }
    }

    struct Contact: Decodable {
        struct Profile: Decodable {
            var name: String?
            enum CodingKeys: String, CodingKey { case name }
        }
        var profile: Profile?
        var waId: String?
        var userId: String?
        enum CodingKeys: String, CodingKey { case profile, waId = "wa_id", userId = "user_id" }
    }

    struct Message: Decodable {
        struct Text: Decodable {
            var body: String
            enum CodingKeys: String, CodingKey { case body }
        }
        /// An image, video or document message's media; its caption is the message's text.
        struct Media: Decodable {
            var caption: String?
            enum CodingKeys: String, CodingKey { case caption }
        }
        struct Referral: Decodable {
            var sourceType: String?
            var sourceId: String?
            var headline: String?
            enum CodingKeys: String, CodingKey { case sourceType = "source_type", sourceId = "source_id", headline }
        }
        var from: String?
        var fromUserId: String?
        var id: String
        var timestamp: String?
        var type: String?
        var text: Text?
        var referral: Referral?
        var image: Media?
        var video: Media?
        var document: Media?
        enum CodingKeys: String, CodingKey { case from, fromUserId = "from_user_id", id, timestamp, type, text, referral, image, video, document }

        /// What the contact wrote: a text's body, or a media message's caption (Meta puts it in
        /// the media object: `image.caption`, `video.caption`, `document.caption`).
        var writtenText: String { text?.body ?? image?.caption ?? video?.caption ?? document?.caption ?? "" }
    }

    struct Status: Decodable {
        var id: String
        var status: String
        var timestamp: String?
        var recipientId: String?
        /// A business-scoped user id, for a user the status names without a phone number.
        var recipientUserId: String?
        enum CodingKeys: String, CodingKey { case id, status, timestamp, recipientId = "recipient_id", recipientUserId = "recipient_user_id" }
    }

    /// Every event in the payload. `account(for:)` maps a phone number id to the account number.
    static func events(_ body: [UInt8], receivedAt: Date, account: (Metadata) -> String) throws -> [InboxEvent] {
        try identifiedEvents(body, receivedAt: receivedAt, account: account).map(\.event)
    }

    /// Every event with the identifiers Meta gave its contact: a phone number, a business-scoped
    /// user id (BSUID), or both, for the inbox to link (``AdaptersStore``): a person who writes
    /// once with a phone number and once with only their username stays one contact.
    static func identifiedEvents(_ body: [UInt8], receivedAt: Date, account: (Metadata) -> String) throws -> [(event: InboxEvent, identity: WhatsAppIdentity)] {
        let payload: Payload
        do {
            payload = try WireJSON.decode(Payload.self, from: body)
        } catch {
            throw MalformedWebhook("WhatsApp webhook is not a valid notification: \(error)")
        }
        var events: [(event: InboxEvent, identity: WhatsAppIdentity)] = []
        for change in payload.entry.flatMap(\.changes) {
            guard let value = change.value else { continue }
            let accountNumber = account(value.metadata)
            for message in value.messages ?? [] {
                guard let rawContact = message.from ?? message.fromUserId else { throw MalformedWebhook("WhatsApp message \(message.id) has no sender") }
                let profile = value.contacts?.first { $0.waId == message.from || ($0.userId != nil && $0.userId == message.fromUserId) } ?? value.contacts?.first
                let source = message.referral.map { MessageSource(type: $0.sourceType ?? "unknown", id: $0.sourceId, campaign: $0.headline) }
                // The BSUID: on the message, else on the contact entry that names the same phone.
                let userID = message.fromUserId ?? value.contacts?.first { $0.waId != nil && $0.waId == message.from }?.userId
                let identity = WhatsAppIdentity(phone: message.from.map(ContactAddress.normalize), userID: userID.map(ContactAddress.normalize))
                events.append((.inbound(InboundMessage(
                    provider: "whatsapp", messageId: message.id, platform: .whatsapp, account: accountNumber,
                    contact: ContactAddress.normalize(rawContact), contactName: profile?.profile?.name,
                    text: message.writtenText, mediaCount: ["image", "video", "audio", "document", "sticker"].contains(message.type ?? "") ? 1 : 0,
                    source: source, at: time(message.timestamp) ?? receivedAt)), identity))
            }
            for status in value.statuses ?? [] where status.status == "sent" {
                // A user without a phone number is named by their BSUID: not dropped.
                guard let recipient = status.recipientId ?? status.recipientUserId else { continue }
                let identity = WhatsAppIdentity(
                    phone: status.recipientId.map(ContactAddress.normalize), userID: status.recipientUserId.map(ContactAddress.normalize))
                events.append((.reply(ReplyEvent(
                    provider: "whatsapp", messageId: status.id, platform: .whatsapp, account: accountNumber,
                    contact: ContactAddress.normalize(recipient), at: time(status.timestamp) ?? receivedAt)), identity))
            }
        }
        // One message or status that names no usable party is dropped, not the whole POST: Meta
        // would retry it for days (the intake refuses such events from every provider).
        return events.filter { $0.event.malformation == nil }
    }

    static func time(_ unixSeconds: String?) -> Date? {
        unixSeconds.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
    }
}

/// The identifiers WhatsApp gave one contact in one payload: a phone number (`from`, `wa_id`,
/// `recipient_id`), a business-scoped user id (`from_user_id`, `user_id`, `recipient_user_id`),
/// or both. The phone is not always the key, since a person first seen by their BSUID keeps it.
struct WhatsAppIdentity: Sendable, Equatable {
    var phone: String?
    var userID: String?

    /// Whether there is anything to link or look up (a phone alone may be linked to a BSUID
    /// seen first).
    var isEmpty: Bool { phone == nil && userID == nil }
}

/// SMS/iMessage bridge webhooks (Sendblue-style JSON).
enum BridgeParser {
    struct Payload: Decodable {
        var content: String?
        var isOutbound: Bool?
        var messageHandle: String
        var dateSent: String?
        var number: String?
        var fromNumber: String?
        var toNumber: String?
        var sendblueNumber: String?
        var mediaURL: String?
        /// The message's status (`QUEUED`, `SENT`, `DELIVERED`, `READ`, `FAILED`, `RECEIVED`).
        var status: String?
        enum CodingKeys: String, CodingKey {
            case content, isOutbound = "is_outbound", messageHandle = "message_handle", dateSent = "date_sent", number
            case fromNumber = "from_number", toNumber = "to_number", sendblueNumber = "sendblue_number", mediaURL = "media_url", status
        }
    }

    /// Statuses of an outbound message that mean the business's reply left: the bridge also
    /// reports outbound messages still queued or that failed, which answered no one.
    static let replyStatuses: Set<String> = ["SENT", "DELIVERED", "READ"]

    /// The event of a bridge webhook: an inbound message, the business's reply, or nil for an
    /// outbound message that did not leave (queued, failed), acknowledged and not stored.
    static func event(_ body: [UInt8], receivedAt: Date, preferReceivedAt: Bool) throws -> InboxEvent? {
        let payload: Payload
        do {
            payload = try WireJSON.decode(Payload.self, from: body)
        } catch {
            throw MalformedWebhook("bridge webhook is not a valid message: \(error)")
        }
        guard let business = payload.sendblueNumber ?? (payload.isOutbound == true ? payload.fromNumber : payload.toNumber),
              let contact = payload.number ?? (payload.isOutbound == true ? payload.toNumber : payload.fromNumber)
        else { throw MalformedWebhook("bridge webhook without the account or contact number") }
        let sent = preferReceivedAt ? receivedAt : (payload.dateSent.flatMap(RFC3339.parse) ?? receivedAt)
        if payload.isOutbound == true {
            if let status = payload.status, !replyStatuses.contains(status.uppercased()) { return nil }
            return .reply(ReplyEvent(
                provider: "bridge", messageId: payload.messageHandle, platform: .imessage, account: ContactAddress.normalize(business),
                contact: ContactAddress.normalize(contact), at: sent))
        }
        return .inbound(InboundMessage(
            provider: "bridge", messageId: payload.messageHandle, platform: .imessage, account: ContactAddress.normalize(business),
            contact: ContactAddress.normalize(contact), text: payload.content ?? "", mediaCount: (payload.mediaURL ?? "").isEmpty ? 0 : 1, at: sent))
    }
}
