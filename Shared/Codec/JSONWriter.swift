import Foundation

/// Writes JSON straight into bytes, for large answers on hot paths where `JSONEncoder`'s
/// generic machinery costs more than the work itself (e.g. `directory.resolve`, 50 candidates).
///
/// The caller writes a well-formed document: ``beginObject()``/``endObject()`` and
/// ``beginArray()``/``endArray()`` pairs, ``key(_:)`` before each member value. Commas are
/// placed automatically.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma first.
    private var needsComma: [Bool] = [false]

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    /// A member key; the next value written is its value.
    public mutating func key(_ name: String) {
        separate()
        JSONString.append(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONString.append(value, to: &bytes)
    }

    public mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: Array(String(value).utf8))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: Array("null".utf8))
    }

    /// Writes an optional string, or `null`.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes an optional integer, or `null`.
    public mutating func integer(_ value: Int?) {
        if let value { integer(value) } else { null() }
    }

    public mutating func date(_ value: Date) {
        string(RFC3339.format(value))
    }

    public mutating func value(_ value: some JSONWritable) {
        separate()
        needsComma[needsComma.count - 1] = false
        value.write(to: &self)
        needsComma[needsComma.count - 1] = true
    }

    // MARK: Members, as JSONEncoder writes them: a nil optional is left out.

    public mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    public mutating func member(_ name: String, _ value: Date?) {
        guard let value else { return }
        key(name)
        date(value)
    }

    public mutating func member(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// An object member, its keys sorted so equal maps write equal bytes.
    public mutating func member(_ name: String, _ values: [String: String]) {
        key(name)
        beginObject()
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { member(key, value) }
        endObject()
    }

    public mutating func member(_ name: String, _ values: [String: Int]) {
        key(name)
        beginObject()
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { member(key, value) }
        endObject()
    }

    public mutating func member(_ name: String, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        self.value(value)
    }

    public mutating func member(_ name: String, _ values: [some JSONWritable]) {
        key(name)
        beginArray()
        for value in values { self.value(value) }
        endArray()
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }
}

/// A type that writes its own JSON with a ``JSONWriter``: for values encoded on every request of
/// a hot path (the router's contact state, trace and outbox items, each decision), where
/// `JSONEncoder`'s generic machinery costs several times the work. The output must decode with
/// the type's `Decodable` conformance to an equal value, as `JSONEncoder`'s does; tests compare
/// the two.
public protocol JSONWritable {
    /// Writes one JSON value (usually an object: `beginObject()` … `endObject()`).
    func write(to writer: inout JSONWriter)
}

extension JSONWritable {
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        write(to: &writer)
        return writer.bytes
    }

    public var jsonString: String { String(decoding: jsonBytes, as: UTF8.self) }
}
