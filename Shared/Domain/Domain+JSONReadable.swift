import Foundation
import SwitchboardCodec

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
            provider: object.string("provider"), messageId: object.string("messageId"), platform: object.string("platform"),
            account: object.string("account"), contact: object.string("contact"), contactName: object.optionalString("contactName"),
            text: object.string("text"), mediaCount: object.integer("mediaCount"), source: object.optionalObject("source", as: MessageSource.self),
            at: object.date("at"))
    }
}
