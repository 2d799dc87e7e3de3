public import Foundation

/// Where a contact came from: a click-to-WhatsApp ad referral (`source_type`, `source_id`,
/// `headline` as the campaign), matched by rules' `source` condition.
public struct MessageSource: Codable, Sendable, Equatable {
    public var type: String
    public var id: String?
    public var campaign: String?

    public init(type: String, id: String? = nil, campaign: String? = nil) {
        self.type = type
        self.id = id
        self.campaign = campaign
    }

    enum CodingKeys: String, CodingKey { case type, id, campaign }
}

/// One inbound message, normalized from any provider: what the adapters commit to their inbox
/// and hand to `router.route`. The router's idempotency key is `platform` + `messageId`.
public struct InboundMessage: Codable, Sendable, Equatable {
    /// `twilio`, `whatsapp` (Cloud API) or `bridge` (SMS/iMessage bridge).
    public var provider: String
    public var messageId: String
    /// The account's platform as configured: `whatsapp`, `imessage` or `twilio`.
    public var platform: Platform
    /// The account's address (E.164): the number written to.
    public var account: String
    /// The contact's normalized address (``ContactAddress``).
    public var contact: String
    public var contactName: String?
    public var text: String
    public var mediaCount: Int
    public var source: MessageSource?
    /// The provider's timestamp where it sends one, else the moment of receipt.
    public var at: Date

    public init(
        provider: String, messageId: String, platform: Platform, account: String, contact: String, contactName: String? = nil,
        text: String, mediaCount: Int = 0, source: MessageSource? = nil, at: Date
    ) {
        self.provider = provider
        self.messageId = messageId
        self.platform = platform
        self.account = account
        self.contact = contact
        self.contactName = contactName
        self.text = text
        self.mediaCount = mediaCount
        self.source = source
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case provider, messageId, platform, account, contact, contactName, text, mediaCount, source, at }
}

/// The business answered a contact (an outbound message), for first-response times (`router.reply`).
public struct ReplyEvent: Codable, Sendable, Equatable {
    public var provider: String
    public var messageId: String
    public var platform: Platform
    public var account: String
    public var contact: String
    public var at: Date

    public init(provider: String, messageId: String, platform: Platform, account: String, contact: String, at: Date) {
        self.provider = provider
        self.messageId = messageId
        self.platform = platform
        self.account = account
        self.contact = contact
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case provider, messageId, platform, account, contact, at }
}

/// Normalizes contact and account addresses (`ROUTING.md`, "Identity").
public enum ContactAddress {
    /// `whatsapp:+1 (555) 123-4567` and bare WhatsApp digits `15551234567` become `+15551234567`;
    /// e-mail addresses (iMessage) are lowercased; anything else (a WhatsApp business-scoped user
    /// id such as `US.1349…`) is kept as it is, trimmed.
    ///
    /// Every message is normalized twice (adapters, router); ASCII input, nearly all of it, takes
    /// a byte-level path that tests hold equal to ``normalizeCharacters(_:)``.
    /// Whether a normalized address can key a contact or an account: not empty, and more than
    /// the punctuation of a number (`+`).
    public static func isUsable(_ address: String) -> Bool {
        address.contains { $0.isLetter || $0.isNumber }
    }

    public static func normalize(_ raw: String) -> String {
        var raw = raw
        return raw.withUTF8 { utf8 in
            utf8.allSatisfy { $0 < 0x80 } ? normalizeASCII(utf8) : nil
        } ?? normalizeCharacters(raw)
    }

    /// The rule on `Character`s, for any input.
    static func normalizeCharacters(_ raw: String) -> String {
        var text = raw.trimmingCharacters(in: .whitespaces)
        for prefix in prefixes where text.lowercased().hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
        }
        if text.contains("@") { return text.lowercased() }
        let stripped = text.filter { !" -().".contains($0) }
        let digits = stripped.hasPrefix("+") ? stripped.dropFirst() : Substring(stripped)
        if !digits.isEmpty, digits.count <= 15, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
            return "+" + digits
        }
        return text
    }

    private static let prefixes = ["whatsapp:", "sms:", "tel:"]

    /// The same rule on ASCII bytes.
    private static func normalizeASCII(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        func lower(_ byte: UInt8) -> UInt8 { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isBlank(utf8[start]) { start += 1 }
        while end > start, isBlank(utf8[end - 1]) { end -= 1 }
        for prefix in prefixes {
            let bytes = prefix.utf8
            if end - start >= bytes.count, zip(utf8[start..<(start + bytes.count)], bytes).allSatisfy({ lower($0) == $1 }) {
                start += bytes.count
            }
        }
        let text = UnsafeBufferPointer(rebasing: utf8[start..<end])
        if text.contains(UInt8(ascii: "@")) { return String(decoding: text.map(lower), as: UTF8.self) }
        // One pass: separators dropped, one leading "+", then 1 to 15 digits (a filtered copy,
        // a set lookup per byte and a `removeFirst` were most of what a message's addresses cost).
        var number: [UInt8] = [UInt8(ascii: "+")]
        number.reserveCapacity(text.count + 1)
        var isNumber = true
        var sawSign = false
        for byte in text {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."): continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"): number.append(byte)
            case UInt8(ascii: "+") where number.count == 1 && !sawSign: sawSign = true
            default: isNumber = false
            }
            if !isNumber { break }
        }
        if isNumber, number.count > 1, number.count <= 16 { return String(decoding: number, as: UTF8.self) }
        return String(decoding: text, as: UTF8.self)
    }
}
