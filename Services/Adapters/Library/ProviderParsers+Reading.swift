import SwitchboardCodec

// The JSON providers' payloads read without `JSONDecoder` (``JSONReadable``): every webhook is
// read on an event loop, and the decoder's generic machinery was about half of what a WhatsApp
// webhook cost the adapters (`docs/performance.md`). A payload the plain reader does not take
// (a mistyped or duplicate member) is decoded with `Decodable` by `WireJSON.decode`, which
// accepts and refuses as before; `ProviderPayloadReadingTests` compares the two on every sample.

extension WhatsAppParser.Payload: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        entry = object.objects("entry", as: WhatsAppParser.Entry.self)
    }
}

extension WhatsAppParser.Entry: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        changes = object.objects("changes", as: WhatsAppParser.Change.self)
    }
}

extension WhatsAppParser.Change: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        field = object.optionalString("field")
        // Other fields' values are acknowledged and never read, whatever their shape.
        value = (field ?? "messages") == "messages" ? object.object("value", as: WhatsAppParser.Value.self) : nil
    }
}

extension WhatsAppParser.Value: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        metadata = object.object("metadata", as: WhatsAppParser.Metadata.self) ?? WhatsAppParser.Metadata()
        contacts = object.optionalObjects("contacts", as: WhatsAppParser.Contact.self)
        messages = object.optionalObjects("messages", as: WhatsAppParser.Message.self)
        statuses = object.optionalObjects("statuses", as: WhatsAppParser.Status.self)
    }
}

extension WhatsAppParser.Metadata: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        displayPhoneNumber = object.optionalString("display_phone_number")
        phoneNumberId = object.optionalString("phone_number_id")
    }
}

extension WhatsAppParser.Contact: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        profile = object.optionalObject("profile", as: Profile.self)
        waId = object.optionalString("wa_id")
        userId = object.optionalString("user_id")
    }
}

extension WhatsAppParser.Contact.Profile: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        name = object.optionalString("name")
    }
}

extension WhatsAppParser.Message: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        from = object.optionalString("from")
        fromUserId = object.optionalString("from_user_id")
        id = object.string("id")
        timestamp = object.optionalString("timestamp")
        type = object.optionalString("type")
        text = object.optionalObject("text", as: Text.self)
        referral = object.optionalObject("referral", as: Referral.self)
        image = object.optionalObject("image", as: Media.self)
        video = object.optionalObject("video", as: Media.self)
        document = object.optionalObject("document", as: Media.self)
    }
}

extension WhatsAppParser.Message.Text: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        body = object.string("body")
    }
}

extension WhatsAppParser.Message.Media: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        caption = object.optionalString("caption")
    }
}

extension WhatsAppParser.Message.Referral: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        sourceType = object.optionalString("source_type")
        sourceId = object.optionalString("source_id")
        headline = object.optionalString("headline")
    }
}

extension WhatsAppParser.Status: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        id = object.string("id")
        status = object.string("status")
        timestamp = object.optionalString("timestamp")
        recipientId = object.optionalString("recipient_id")
        recipientUserId = object.optionalString("recipient_user_id")
    }
}

extension BridgeParser.Payload: JSONReadable {
    init(reading object: inout JSONObjectReader) {
        content = object.optionalString("content")
        isOutbound = object.optionalBool("is_outbound")
        messageHandle = object.string("message_handle")
        dateSent = object.optionalString("date_sent")
        number = object.optionalString("number")
        fromNumber = object.optionalString("from_number")
        toNumber = object.optionalString("to_number")
        sendblueNumber = object.optionalString("sendblue_number")
        mediaURL = object.optionalString("media_url")
        status = object.optionalString("status")
    }
}
