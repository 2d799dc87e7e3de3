public import Foundation
import SwitchboardCrypto
public import SwitchboardCodec
public import SwitchboardDomain
import SwitchboardHTTP

/// Builds each provider's real, correctly signed webhook for a scenario step or a demo message.
public struct WebhookFactory: Sendable {
    public struct Request: Sendable {
        public var path: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(path: String, headers: [(String, String)], body: [UInt8]) {
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    let secrets: Mesh.Secrets
    /// The base URL the adapters were told is public (Twilio signs it).
    let publicBaseURL: String

    public init(secrets: Mesh.Secrets, publicBaseURL: String) {
        self.secrets = secrets
        self.publicBaseURL = publicBaseURL
    }

    /// Account → invented WhatsApp phone number id (registered as the channel's).
    public static func phoneNumberID(_ account: String) -> String { "pn" + account.filter(\.isNumber) }

    public func inbound(platform: Platform, from: String, to: String, text: String, name: String?, id: String, source: MessageSource?, at: Date) -> Request {
        switch platform {
        case .whatsapp:
            var message: [String: JSONValue] = [
                "from": .string(from.filter(\.isNumber)), "id": .string(id), "timestamp": .string(String(Int(at.timeIntervalSince1970))),
                "type": .string("text"), "text": .object(["body": .string(text)]),
            ]
            if let source {
                message["referral"] = .object([
                    "source_type": .string(source.type), "source_id": .string(source.id ?? ""), "headline": .string(source.campaign ?? ""),
                ])
            }
            return whatsApp(to: to, value: [
                "contacts": .array([.object(["profile": .object(["name": .string(name ?? "")]), "wa_id": .string(from.filter(\.isNumber))])]),
                "messages": .array([.object(message)]),
            ])
        case .imessage:
            return bridge(["content": .string(text), "is_outbound": .bool(false), "message_handle": .string(id), "date_sent": .string(RFC3339.format(at)),
                           "number": .string(from), "from_number": .string(from), "to_number": .string(to), "sendblue_number": .string(to)], at: at)
        case .twilio:
            return twilio("/webhooks/twilio", [("MessageSid", id), ("From", from), ("To", to), ("Body", text), ("NumMedia", "0")]
                          + (name.map { [("ProfileName", $0)] } ?? []), at: at)
        case .ghl:
            return goHighLevel([
                "type": .string("InboundMessage"), "locationId": .string(to), "contactId": .string(Self.crmContactID(from)), "messageId": .string(id),
                "body": .string(text), "direction": .string("inbound"), "messageType": .string("SMS"), "dateAdded": .string(RFC3339.format(at)),
                "attachments": .array([]),
            ])
        }
    }

    /// GoHighLevel's id of a contact keyed `ghl:<id>` (else the address itself).
    static func crmContactID(_ contact: String) -> String { contact.hasPrefix("ghl:") ? String(contact.dropFirst(4)) : contact }

    /// A signed GoHighLevel webhook with `fields` as its JSON body (`type`, `locationId`,
    /// `webhookId`, … as GoHighLevel sends them).
    public func goHighLevel(_ fields: [String: JSONValue]) -> Request {
        let body = (try? WireJSON.encode(JSONValue.object(fields))) ?? []
        return Request(path: "/webhooks/ghl", headers: [("Content-Type", "application/json"), ("x-wh-signature", secrets.goHighLevelKey.signBase64(body))], body: body)
    }

    /// The business answered `to` from account `from`: the platform's outbound status webhook.
    public func reply(platform: Platform, from: String, to: String, id: String, at: Date) -> Request {
        switch platform {
        case .whatsapp:
            return whatsApp(to: from, value: ["statuses": .array([.object([
                "id": .string(id), "status": .string("sent"), "timestamp": .string(String(Int(at.timeIntervalSince1970))), "recipient_id": .string(to.filter(\.isNumber)),
            ])])])
        case .imessage:
            return bridge(["content": .string("reply"), "is_outbound": .bool(true), "message_handle": .string(id), "date_sent": .string(RFC3339.format(at)),
                           "number": .string(to), "from_number": .string(from), "to_number": .string(to), "sendblue_number": .string(from)], at: at)
        case .twilio:
            return twilio("/webhooks/twilio/status", [("MessageSid", id), ("MessageStatus", "sent"), ("From", from), ("To", to)], at: at)
        case .ghl:
            return goHighLevel([
                "type": .string("OutboundMessage"), "locationId": .string(from), "contactId": .string(Self.crmContactID(to)), "messageId": .string(id),
                "body": .string("reply"), "direction": .string("outbound"), "dateAdded": .string(RFC3339.format(at)),
            ])
        }
    }

    private func whatsApp(to account: String, value: [String: JSONValue]) -> Request {
        var value = value
        value["messaging_product"] = .string("whatsapp")
        value["metadata"] = .object(["display_phone_number": .string(account.filter(\.isNumber)), "phone_number_id": .string(Self.phoneNumberID(account))])
        let payload = JSONValue.object([
            "object": .string("whatsapp_business_account"),
            "entry": .array([.object(["id": .string("waba"), "changes": .array([.object(["field": .string("messages"), "value": .object(value)])])])]),
        ])
        let body = (try? WireJSON.encode(payload)) ?? []
        return Request(path: "/webhooks/whatsapp", headers: [("Content-Type", "application/json"),
                                                             ("X-Hub-Signature-256", WebhookSigner.meta(body: body, appSecret: secrets.whatsAppAppSecret))], body: body)
    }

    private func bridge(_ fields: [String: JSONValue], at: Date) -> Request {
        let body = (try? WireJSON.encode(JSONValue.object(fields))) ?? []
        return Request(path: "/webhooks/imessage", headers: [("Content-Type", "application/json"), ("sb-signing-secret", secrets.bridgeSigningSecret),
                                                             ("X-Switchboard-Received-At", RFC3339.format(at))], body: body)
    }

    private func twilio(_ path: String, _ pairs: [(String, String)], at: Date) -> Request {
        let parameters = pairs.map { (name: $0.0, value: $0.1) }
        let signature = WebhookSigner.twilio(url: publicBaseURL + path, parameters: parameters, authToken: secrets.twilioAuthToken)
        return Request(path: path, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
                                             ("X-Switchboard-Received-At", RFC3339.format(at))],
                       body: Array(FormURLEncoding.encode(parameters).utf8))
    }
}

/// The adapters channel registered for a configured account (secrets come from the mesh's
/// service-wide defaults; WhatsApp gets an invented phone number id).
public enum AdapterChannelFactory {
    public static func channel(for account: Account) -> AdapterChannel {
        AdapterChannel(id: account.id, platform: account.platform, account: account.address,
                       phoneNumberId: account.platform == .whatsapp ? WebhookFactory.phoneNumberID(account.address) : nil)
    }
}
