import Foundation
import Testing
@testable import SwitchboardAdapters
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardTestSupport

@Suite struct ProviderParsersTests {
    static let now = Date(timeIntervalSince1970: 1_795_885_200)

    static func form(_ file: String) throws -> [(name: String, value: String)] {
        FormURLEncoding.decode(String(decoding: try SharedFiles.data("payloads/\(file)"), as: UTF8.self).trimmingCharacters(in: .newlines))
    }

    @Test func twilioSMSAndMMSNormalize() throws {
        let sms = try TwilioParser.inbound(try Self.form("twilio-inbound-sms.form"), at: Self.now)
        #expect(sms.messageId == "SM0f3c9a6e1b2d4c5e8f7a9b0c1d2e3f40")
        #expect(sms.account == "+15125550100" && sms.contact == "+15125550123" && sms.platform == .twilio)
        #expect(sms.text.hasSuffix("after 5pm 😀"))
        #expect(sms.at == Self.now)
        #expect(try TwilioParser.inbound(try Self.form("twilio-inbound-mms.form"), at: Self.now).mediaCount == 1)
    }

    @Test func twilioWhatsAppClickToChatCarriesItsReferralAsTheSource() throws {
        let message = try TwilioParser.inbound(try Self.form("twilio-whatsapp-inbound-ctwa.form"), at: Self.now)
        #expect(message.contact == "+5215512345678" && message.account == "+14155550111")
        #expect(message.contactName == "María José")
        #expect(message.source == MessageSource(type: "ad", id: "120210000000000001", campaign: "Free consultation"))
    }

    @Test func twilioStatusCallbacksBecomeRepliesOnlyWhenSentOrDelivered() throws {
        let delivered = try #require(try TwilioParser.reply(try Self.form("twilio-status-delivered.form"), at: Self.now))
        #expect(delivered.account == "+15125550100" && delivered.contact == "+15125550123")
        #expect(try TwilioParser.reply(try Self.form("twilio-status-undelivered.form"), at: Self.now) == nil)
        let queued = try Self.form("twilio-status-delivered.form").map { $0.name == "MessageStatus" ? ($0.name, "queued") : $0 }
        #expect(try TwilioParser.reply(queued, at: Self.now) == nil)
        var sent = try Self.form("twilio-status-delivered.form")
        sent = sent.map { $0.name == "MessageStatus" ? ($0.name, "sent") : $0 }
        let reply = try #require(try TwilioParser.reply(sent, at: Self.now))
        #expect(reply.account == "+15125550100" && reply.contact == "+15125550123")
    }

    /// Meta's shapes: changes other than `messages` (here a template status update) ride the same
    /// callback; media captions live in the media object.
    static let templateStatusChange = #"{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":1234567890,"message_template_name":"order_update","message_template_language":"en_US","reason":"NONE"}}"#
    static let imageWithCaption = #"{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.IMG1","timestamp":"1755800100","type":"image","image":{"caption":"Is this one in stock?","mime_type":"image/jpeg","sha256":"4f2d","id":"1003383421387256"}}]}}"#
    static func whatsApp(_ changes: String...) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":["#.utf8) + Array(changes.joined(separator: ",").utf8) + Array("]}]}".utf8)
    }

    @Test func whatsAppChangesOtherThanMessagesAreAcknowledgedAndCaptionsAreTheText() throws {
        let account: (WhatsAppParser.Metadata) -> String = { ContactAddress.normalize($0.displayPhoneNumber ?? "") }
        #expect(try WhatsAppParser.events(Self.whatsApp(Self.templateStatusChange), receivedAt: Self.now, account: account).isEmpty)
        let mixed = try WhatsAppParser.events(Self.whatsApp(Self.templateStatusChange, Self.imageWithCaption), receivedAt: Self.now, account: account)
        guard case .inbound(let image) = try #require(mixed.first), mixed.count == 1 else { Issue.record("expected one message: \(mixed)"); return }
        #expect(image.text == "Is this one in stock?" && image.mediaCount == 1 && image.messageId == "wamid.IMG1")
        for media in ["video", "document"] {
            let change = Self.imageWithCaption.replacingOccurrences(of: #""type":"image","image""#, with: #""type":"\#(media)","\#(media)""#)
            guard case .inbound(let message) = try #require(try WhatsAppParser.events(Self.whatsApp(change), receivedAt: Self.now, account: account).first) else { continue }
            #expect(message.text == "Is this one in stock?", "\(media)")
        }
    }

    @Test func whatsAppMessagesStatusesAndUsernameOnlyUsers() throws {
        let account: (WhatsAppParser.Metadata) -> String = { ContactAddress.normalize($0.displayPhoneNumber ?? "") }
        let text = try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-inbound-text.json")), receivedAt: Self.now, account: account)
        guard case .inbound(let message) = try #require(text.first) else { Issue.record("not inbound"); return }
        #expect(message.contact == "+16505551234" && message.account == "+15550783881" && message.contactName == "Sheena Nelson")
        #expect(message.at == Date(timeIntervalSince1970: 1_755_800_000))

        let referral = try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-inbound-referral.json")), receivedAt: Self.now, account: account)
        guard case .inbound(let ad) = try #require(referral.first) else { Issue.record("not inbound"); return }
        #expect(ad.source == MessageSource(type: "ad", id: "120226305854810726", campaign: "Chat with us"))

        let bsuid = try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-inbound-bsuid-no-phone.json")), receivedAt: Self.now, account: account)
        guard case .inbound(let username) = try #require(bsuid.first) else { Issue.record("not inbound"); return }
        #expect(username.contact == "US.13491208655302741918" && username.contactName == "Kerry Fisher")

        let sent = try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-status.json")), receivedAt: Self.now, account: account)
        guard case .reply(let reply) = try #require(sent.first) else { Issue.record("not a reply"); return }
        #expect(reply.contact == "+16505551234")
        #expect(try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-status-read.json")), receivedAt: Self.now, account: account).isEmpty)
        #expect(try WhatsAppParser.events(Array(try SharedFiles.data("payloads/whatsapp-status-failed.json")), receivedAt: Self.now, account: account).isEmpty)
    }

    @Test func bridgeMessagesAndOutboundReplies() throws {
        let imessage = try BridgeParser.event(Array(try SharedFiles.data("payloads/sendblue-inbound-imessage.json")), receivedAt: Self.now, preferReceivedAt: false)
        guard case .inbound(let message) = imessage else { Issue.record("not inbound"); return }
        #expect(message.contact == "+15125550177" && message.account == "+15125550142" && message.platform == .imessage)
        #expect(message.messageId == "99DCC379-DD76-4712-BA65-11EFB33B8CD6")
        var outbound = try JSONSerialization.jsonObject(with: try SharedFiles.data("payloads/sendblue-inbound-sms-downgraded.json")) as! [String: Any]
        outbound["is_outbound"] = true
        outbound["status"] = "SENT"
        let reply = try BridgeParser.event(Array(try JSONSerialization.data(withJSONObject: outbound)), receivedAt: Self.now, preferReceivedAt: false)
        guard case .reply(let answer) = reply else { Issue.record("not a reply"); return }
        #expect(answer.contact == "+15125550188" && answer.account == "+15125550142")
        // An outbound message counts as a reply once it left, not while queued or after failing.
        for (status, replies) in [("SENT", true), ("DELIVERED", true), ("READ", true), ("QUEUED", false), ("FAILED", false)] {
            outbound["status"] = status
            let event = try BridgeParser.event(Array(try JSONSerialization.data(withJSONObject: outbound)), receivedAt: Self.now, preferReceivedAt: false)
            #expect((event != nil) == replies, "\(status)")
        }
    }

    @Test(arguments: [
        ("whatsapp:+1 (555) 123-4567", "+15551234567"), ("16505551234", "+16505551234"), ("Ann@Example.COM", "ann@example.com"),
        ("US.13491208655302741918", "US.13491208655302741918"), (" +15551230001 ", "+15551230001"),
    ])
    func contactAddressesNormalize(raw: String, expected: String) {
        #expect(ContactAddress.normalize(raw) == expected)
    }
}

@Suite struct GoHighLevelParserTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    static func meaning(_ fields: [String: Any]) throws -> GoHighLevelParser.Meaning {
        try GoHighLevelParser.meaning(Array(try JSONSerialization.data(withJSONObject: fields)), receivedAt: at)
    }

    @Test func contactChangesBecomeCRMEventsKeyedByPhoneElseByGoHighLevelId() throws {
        let base: [String: Any] = ["locationId": "loc", "webhookId": "w1", "id": "c1", "phone": "+1 (512) 555-0123", "timestamp": "2026-08-21T15:41:25.000Z"]
        guard case .crm(let tagged) = try Self.meaning(base.merging(["type": "ContactTagUpdate", "tags": ["vip", "spanish"]]) { a, _ in a }) else {
            Issue.record("a tag update is a CRM event")
            return
        }
        #expect(tagged.kind == .tagged && tagged.tags == ["vip", "spanish"] && tagged.contact == "+15125550123")
        guard case .crm(let deleted) = try Self.meaning(base.merging(["type": "ContactDelete", "phone": NSNull()]) { _, b in b }) else {
            Issue.record("a delete is a CRM event")
            return
        }
        #expect(deleted.kind == .deleted && deleted.contact == "ghl:c1")
        guard case .crm(let unassigned) = try Self.meaning(base.merging(["type": "ContactAssignedUpdate"]) { a, _ in a }) else {
            Issue.record("an assignment update is a CRM event")
            return
        }
        #expect(unassigned.kind == .assigned && unassigned.user == nil, "no assignedTo: the owner was removed")
    }

    @Test func aContactCreatedWithAnAttributionCarriesItsSource() throws {
        let created = try Self.meaning([
            "type": "ContactCreate", "locationId": "loc", "webhookId": "w9", "id": "c1", "phone": "+15550001234",
            "attributionSource": ["utmSource": "ad", "campaign": "Spring", "sessionSource": "Paid Social"],
        ])
        guard case .crm(let event) = created else {
            Issue.record("an attributed contact is a CRM event")
            return
        }
        #expect(event.kind == .attributed && event.source == MessageSource(type: "ad", campaign: "Spring"))
        guard case .crm(let plain) = try Self.meaning(["type": "ContactUpdate", "locationId": "loc", "webhookId": "w10", "id": "c1", "source": "facebook form"]) else {
            Issue.record("a free-text source is an attribution too")
            return
        }
        #expect(plain.source == MessageSource(type: "facebook form"))
    }

    @Test func otherEventsAndUpdatesWithoutAnAssignmentAreIgnoredAndMissingIdsAreMalformed() throws {
        #expect(try Self.meaning(["type": "ContactUpdate", "locationId": "loc", "webhookId": "w2", "id": "c1", "firstName": "Ana"])
                == .ignored("no assignment or attribution in the update"))
        #expect(try Self.meaning(["type": "OpportunityCreate", "locationId": "loc"]) == .ignored("event type OpportunityCreate"))
        #expect(try Self.meaning(["type": "ContactTagUpdate", "locationId": "loc", "webhookId": "w3", "id": "c1", "tags": []]) == .ignored("no tags"))
        #expect(throws: MalformedWebhook.self) { try Self.meaning(["type": "ContactDelete", "locationId": "loc", "id": "c1"]) }
        #expect(throws: MalformedWebhook.self) { try Self.meaning(["type": "ContactDelete", "webhookId": "w4", "id": "c1"]) }
        #expect(throws: MalformedWebhook.self) { try GoHighLevelParser.meaning(Array("{".utf8), receivedAt: Self.at) }
    }

    @Test func anOutboundMessageIsTheBusinessReplying() throws {
        let meaning = try Self.meaning(["type": "OutboundMessage", "locationId": "loc", "contactId": "c9", "messageId": "m9", "direction": "outbound",
                                        "dateAdded": "2026-08-21T15:41:20.750Z"])
        guard case .reply(let reply) = meaning else {
            Issue.record("an outbound message is a reply")
            return
        }
        #expect(reply.platform == .ghl && reply.account == "loc" && reply.contact == "ghl:c9")
    }
}
