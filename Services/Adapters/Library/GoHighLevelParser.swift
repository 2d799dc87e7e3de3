import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// GoHighLevel's webhooks (API v2, `payloads/ghl-webhook-*.json`), read only after their
/// signature held: contact changes a person made in the CRM, and the messages of a location
/// whose conversations reach GoHighLevel first.
enum GoHighLevelParser {
    /// What one webhook means to routing.
    enum Meaning: Equatable {
        case crm(CRMEvent)
        case inbound(InboundMessage)
        case reply(ReplyEvent)
        /// Acknowledged and not stored, with why (another event type, a contact it cannot key).
        case ignored(String)
    }

    static func meaning(_ body: [UInt8], receivedAt: Date) throws -> Meaning {
        let json: JSONValue
        do {
            json = try WireJSON.decode(JSONValue.self, from: body)
        } catch {
            throw MalformedWebhook("not JSON: \(error)")
        }
        guard let type = json["type"]?.stringValue else { throw MalformedWebhook("no type") }
        guard let location = json["locationId"]?.stringValue, !location.isEmpty else { throw MalformedWebhook("\(type) without locationId") }
        func time(_ key: String) -> Date? { json[key]?.stringValue.flatMap(RFC3339.parse) }

        switch type {
        case "InboundMessage", "OutboundMessage":
            guard let contactID = json["contactId"]?.stringValue, let messageID = json["messageId"]?.stringValue else {
                throw MalformedWebhook("\(type) without contactId or messageId")
            }
            let contact = "ghl:" + contactID
            let at = time("dateAdded") ?? receivedAt
            if type == "OutboundMessage" || json["direction"]?.stringValue == "outbound" {
                return .reply(ReplyEvent(provider: "ghl", messageId: messageID, platform: .ghl, account: location, contact: contact, at: at))
            }
            return .inbound(InboundMessage(
                provider: "ghl", messageId: messageID, platform: .ghl, account: location, contact: contact, text: json["body"]?.stringValue ?? "",
                mediaCount: json["attachments"]?.arrayValue?.count ?? 0, at: at))
        case "ContactTagUpdate", "ContactAssignedUpdate", "ContactUpdate", "ContactCreate", "ContactDelete":
            guard let webhookID = json["webhookId"]?.stringValue, !webhookID.isEmpty else { throw MalformedWebhook("\(type) without webhookId") }
            guard let contactID = json["id"]?.stringValue ?? json["contactId"]?.stringValue else { throw MalformedWebhook("\(type) without the contact's id") }
            let phone = json["phone"]?.stringValue.map(ContactAddress.normalize).flatMap { $0.isEmpty ? nil : $0 }
            var event = CRMEvent(
                id: webhookID, kind: .deleted, location: location, contact: phone ?? "ghl:" + contactID, crmContactId: contactID,
                source: attribution(json), at: time("timestamp") ?? time("dateUpdated") ?? receivedAt)
            switch type {
            case "ContactTagUpdate":
                let tags = json["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard !tags.isEmpty else { return .ignored("no tags") }
                event.kind = .tagged
                event.tags = tags
            case "ContactDelete":
                event.kind = .deleted
            default:
                // A ContactCreate or ContactUpdate without `assignedTo` matters for its attribution.
                guard type == "ContactAssignedUpdate" || json.objectValue?["assignedTo"] != nil else {
                    guard event.source != nil else { return .ignored("no assignment or attribution in the update") }
                    event.kind = .attributed
                    return .crm(event)
                }
                event.kind = .assigned
                event.user = json["assignedTo"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            }
            return .crm(event)
        default:
            return .ignored("event type \(type)")
        }
    }
}

extension GoHighLevelParser {
    /// A contact's source as GoHighLevel attributes it: `attributionSource` (`utmSource`, else
    /// `medium`, else `sessionSource`, with `campaign`/`utmCampaign`), else the free-text `source`.
    static func attribution(_ json: JSONValue) -> MessageSource? {
        func text(_ value: JSONValue?) -> String? { value?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        if let attribution = json["attributionSource"] {
            if let type = text(attribution["utmSource"]) ?? text(attribution["medium"]) ?? text(attribution["sessionSource"]) {
                return MessageSource(type: type, campaign: text(attribution["campaign"]) ?? text(attribution["utmCampaign"]))
            }
        }
        return text(json["source"]).map { MessageSource(type: $0) }
    }
}

extension JSONValue {
    fileprivate var objectValue: [String: JSONValue]? {
        guard case .object(let members) = self else { return nil }
        return members
    }
}
