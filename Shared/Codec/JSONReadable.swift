public import Foundation

/// A type that reads itself from JSON without `JSONDecoder`, for a value decoded on every
/// request of a hot path (`router.route`'s inbound message), where the decoder's generic
/// machinery costs several times the work.
///
/// It handles only the plain case. A missing or mistyped field, a duplicate key, anything
/// unexpected marks the reader ``JSONObjectReader/failed``, and ``WireJSON/decode(_:from:path:)``
/// then decodes with `Decodable` instead, whose error names the field: the fast path never
/// changes what is accepted or how it is refused. Tests compare the two.
public protocol JSONReadable {
    init(reading object: inout JSONObjectReader)
}

/// The members of one JSON object, read by key.
public struct JSONObjectReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Searched linearly: objects read here have a dozen members, fewer than a dictionary pays for.
    private let members: [JSONObjectScanner.Member]
    /// Whether anything was missing, mistyped or unexpected; the value read is then discarded.
    public private(set) var failed = false

    /// Reads `T` from `bytes` (one JSON object), or nil when the plain case does not apply.
    public static func read<T: JSONReadable>(_ type: T.Type, from bytes: UnsafeBufferPointer<UInt8>) -> T? {
        guard var reader = JSONObjectReader(bytes) else { return nil }
        let value = T(reading: &reader)
        return reader.failed ? nil : value
    }

    private init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        guard let found = try? JSONObjectScanner.members(of: bytes) else { return nil }
        for (index, member) in found.enumerated() where found[..<index].contains(where: { $0.key == member.key }) {
            return nil
        }
        members = found
    }

    /// Marks the read as not the plain case (a form the reader leaves to `Decodable`).
    public mutating func fail() {
        failed = true
    }

    public mutating func string(_ key: String) -> String {
        guard let value = optionalString(key) else {
            failed = true
            return ""
        }
        return value
    }

    /// The string, or nil when the member is absent or `null`.
    public mutating func optionalString(_ key: String) -> String? {
        guard let token = token(key) else { return nil }
        guard token.first == UInt8(ascii: "\""), let text = try? JSONObjectScanner.decodeString(token) else {
            failed = true
            return nil
        }
        return text
    }

    /// A string member that must be one of `W`'s values; any other value fails the read, and
    /// the `Decodable` fallback then says which field and why.
    public mutating func word<W: RawRepresentable<String> & CaseIterable>(_ key: String, as type: W.Type) -> W {
        if let value = W(rawValue: string(key)) { return value }
        failed = true
        return W.allCases.first!
    }

    /// ``word(_:as:)`` for a member that may be absent or `null`.
    public mutating func optionalWord<W: RawRepresentable<String> & CaseIterable>(_ key: String, as type: W.Type) -> W? {
        guard let text = optionalString(key) else { return nil }
        if let value = W(rawValue: text) { return value }
        failed = true
        return nil
    }

    /// An integer written as plain digits (anything else, `1.0` or `1e3`, is left to the decoder).
    public mutating func integer(_ key: String) -> Int {
        guard let token = token(key) else {
            failed = true
            return 0
        }
        let digits = token.first == UInt8(ascii: "-") ? UnsafeBufferPointer(rebasing: token.dropFirst()) : token
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            failed = true
            return 0
        }
        let magnitude = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return token.first == UInt8(ascii: "-") ? -magnitude : magnitude
    }

    /// An RFC 3339 time.
    public mutating func date(_ key: String) -> Date {
        guard let date = RFC3339.parse(string(key)) else {
            failed = true
            return Date(timeIntervalSince1970: 0)
        }
        return date
    }

    /// An optional RFC 3339 time: nil when the member is absent or `null`.
    public mutating func optionalDate(_ key: String) -> Date? {
        guard let text = optionalString(key) else { return nil }
        guard let date = RFC3339.parse(text) else {
            failed = true
            return nil
        }
        return date
    }

    /// Whether the object has the member at all, even as `null` (as `KeyedDecodingContainer.contains`).
    public func contains(_ key: String) -> Bool {
        members.contains { $0.key == key }
    }

    /// A nested object (required).
    public mutating func object<T: JSONReadable>(_ key: String, as type: T.Type) -> T? {
        guard let value = optionalObject(key, as: T.self) else {
            failed = true
            return nil
        }
        return value
    }

    /// A nested object, or nil when the member is absent or `null`.
    public mutating func optionalObject<T: JSONReadable>(_ key: String, as type: T.Type) -> T? {
        guard let token = token(key) else { return nil }
        guard token.first == UInt8(ascii: "{"), let value = Self.read(T.self, from: token) else {
            failed = true
            return nil
        }
        return value
    }

    /// An array of strings (required).
    public mutating func strings(_ key: String) -> [String] {
        elements(key).compactMap { token in
            guard token.first == UInt8(ascii: "\""), let text = try? JSONObjectScanner.decodeString(token) else {
                failed = true
                return nil
            }
            return text
        }
    }

    /// A `true` or `false` member, or nil when it is absent or `null`.
    public mutating func optionalBool(_ key: String) -> Bool? {
        guard let token = token(key) else { return nil }
        if token.elementsEqual("true".utf8) { return true }
        if token.elementsEqual("false".utf8) { return false }
        failed = true
        return nil
    }

    /// An array of objects, or nil when the member is absent or `null`.
    public mutating func optionalObjects<T: JSONReadable>(_ key: String, as type: T.Type) -> [T]? {
        token(key) == nil ? nil : objects(key, as: T.self)
    }

    /// An array of objects (required).
    public mutating func objects<T: JSONReadable>(_ key: String, as type: T.Type) -> [T] {
        elements(key).compactMap { token in
            guard token.first == UInt8(ascii: "{"), let value = Self.read(T.self, from: token) else {
                failed = true
                return nil
            }
            return value
        }
    }

    private mutating func elements(_ key: String) -> [UnsafeBufferPointer<UInt8>] {
        guard let token = token(key), token.first == UInt8(ascii: "["),
              let ranges = try? JSONObjectScanner.elements(ofArray: token)
        else {
            failed = true
            return []
        }
        return ranges.map { UnsafeBufferPointer(rebasing: token[$0]) }
    }

    /// The member's value bytes, or nil when it is absent or `null`.
    private func token(_ key: String) -> UnsafeBufferPointer<UInt8>? {
        guard let range = members.first(where: { $0.key == key })?.value else { return nil }
        let token = UnsafeBufferPointer(rebasing: bytes[range])
        return token.elementsEqual("null".utf8) ? nil : token
    }
}
