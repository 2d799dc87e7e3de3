public import Foundation

/// The JSON encoder and decoder every Switchboard component uses, configured once.
///
/// Dates are RFC 3339 (``RFC3339``); keys are spelled by each type's explicit `CodingKeys`
/// (no key strategies, STYLE.md). Both coders are thread-safe to share.
public enum WireJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        return encoder
    }()

    /// Like ``encoder`` but indented with sorted keys, for files people read.
    public static let prettyEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an RFC 3339 time: \"\(text)\"")
            }
            return date
        }
        return decoder
    }()

    /// Encodes `value` to bytes; encoding a well-formed value cannot fail, so failure is `internal`.
    ///
    /// A ``JSONWritable`` value writes itself (the same members `JSONEncoder` would write, at a
    /// fraction of the cost): a handler's reply on a hot path, `router.route`'s answer, takes it.
    public static func encode<T: Encodable>(_ value: T) throws(WireError) -> [UInt8] {
        if let writable = value as? any JSONWritable { return writable.jsonBytes }
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw WireError(.internal, "could not encode \(T.self): \(error)")
        }
    }

    /// Decodes `T` from `bytes`, turning a `DecodingError` into `bad_request` that names the field.
    ///
    /// - Parameter prefix: the path of `bytes` inside the message (e.g. `body`), for the message.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, path prefix: String = "") throws(WireError) -> T {
        if let readable = T.self as? any JSONReadable.Type,
           let value = bytes.withContiguousStorageIfAvailable({ JSONObjectReader.read(readable, from: $0) }) as? T {
            return value
        }
        return try decodeWithDecoder(T.self, from: bytes, path: prefix)
    }

    /// The same for a type known here to read itself: no dynamic cast, a specialized reader.
    public static func decode<T: Decodable & JSONReadable>(_ type: T.Type, from bytes: some Collection<UInt8>, path prefix: String = "") throws(WireError) -> T {
        if let value = bytes.withContiguousStorageIfAvailable({ JSONObjectReader.read(T.self, from: $0) }) ?? nil {
            return value
        }
        return try decodeWithDecoder(T.self, from: bytes, path: prefix)
    }

    private static func decodeWithDecoder<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>, path prefix: String) throws(WireError) -> T {
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw WireError(.badRequest, describe(error, prefix: prefix))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.badRequest, "\(error)")
        }
    }

    /// A one-line explanation of a decoding failure that names the offending field.
    public static func describe(_ error: DecodingError, prefix: String = "") -> String {
        func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
            var text = prefix
            for component in codingPath + (key.map { [$0] } ?? []) {
                if let index = component.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? component.stringValue : "." + component.stringValue
                }
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath, appending: key))"
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) has the wrong type (expected \(readableTypeName(type)))"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) is null (expected \(readableTypeName(type)))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field \(path(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "invalid message"
        }
    }

    private static func readableTypeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Dictionary") || name.hasPrefix("KeyedDecodingContainer") { return "object" }
        if name.hasPrefix("Array") { return "array" }
        if name == "Int" || name == "Int64" || name == "Double" || name == "UInt16" { return "number" }
        if name == "Bool" { return "boolean" }
        if name == "String" || name == "Date" { return "string" }
        return name
    }
}
