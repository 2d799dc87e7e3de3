public import Foundation

/// Writes JSON straight into bytes, for large answers on hot paths where `JSONEncoder`'s
/// generic machinery costs more than the work itself (e.g. `directory.resolve`, 50 candidates).
///
/// The caller writes a well-formed document: ``beginObject()``/``endObject()`` and
/// ``beginArray()``/``endArray()`` pairs, ``key(_:)`` before each member value. Commas are
/// placed automatically. Member names are literals (`StaticString`), written without an escape
/// scan; a name known only at run time goes through ``key(escaping:)``.
///
/// The bytes go into a buffer of its own, not an array: a document is hundreds of small appends,
/// and an array checks uniqueness and capacity on each. Read them once, with ``bytes``, at the end.
public struct JSONWriter: ~Copyable {
    private var buffer: JSONByteBuffer
    /// Whether the next value in the current container needs a comma first.
    private var needsComma = false
    /// The same for each enclosing container, innermost last.
    private var enclosing: [Bool] = []

    public init(capacity: Int = 1024) {
        buffer = JSONByteBuffer(capacity: capacity)
        enclosing.reserveCapacity(8)
    }

    /// The document written so far.
    public var bytes: [UInt8] { buffer.array }

    public mutating func beginObject() {
        begin(UInt8(ascii: "{"))
    }

    public mutating func endObject() {
        end(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        begin(UInt8(ascii: "["))
    }

    public mutating func endArray() {
        end(UInt8(ascii: "]"))
    }

    /// A member name written as it is: a literal of plain characters (no quote, backslash or
    /// control character, checked in debug builds).
    public mutating func key(_ name: StaticString) {
        separate()
        name.withUTF8Buffer { utf8 in
            assert(!utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "member names are plain literals")
            buffer.appendKey(utf8)
        }
        needsComma = false
    }

    /// A member name known only at run time (a map's key), escaped as a JSON string.
    public mutating func key(escaping name: String) {
        separate()
        JSONString.append(name, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONString.append(value, to: &buffer)
    }

    public mutating func integer(_ value: Int) {
        separate()
        buffer.appendDecimal(value)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        append("null")
    }

    /// Writes an optional string, or `null`.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes an optional integer, or `null`.
    public mutating func integer(_ value: Int?) {
        if let value { integer(value) } else { null() }
    }

    /// A value that is already JSON (a row stored as it was received), written as it is: the
    /// caller vouches that it is one well-formed JSON value.
    public mutating func encoded(_ json: String) {
        separate()
        var json = json
        json.withUTF8 { buffer.append(contentsOf: $0) }
    }

    public mutating func date(_ value: Date) {
        string(RFC3339.format(value))
    }

    public mutating func value(_ value: some JSONWritable) {
        separate()
        needsComma = false
        value.write(to: &self)
        needsComma = true
    }

    // MARK: Members, as JSONEncoder writes them: a nil optional is left out.

    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    public mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        date(value)
    }

    public mutating func member(_ name: StaticString, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// An object member, its keys sorted so equal maps write equal bytes.
    public mutating func member(_ name: StaticString, _ values: [String: String]) {
        map(name, values) { $0.string($1) }
    }

    public mutating func member(_ name: StaticString, _ values: [String: Int]) {
        map(name, values) { $0.integer($1) }
    }

    private mutating func map<Value>(_ name: StaticString, _ values: [String: Value], _ write: (inout JSONWriter, Value) -> Void) {
        key(name)
        beginObject()
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            self.key(escaping: key)
            write(&self, value)
        }
        endObject()
    }

    public mutating func member(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        self.value(value)
    }

    public mutating func member(_ name: StaticString, _ values: [some JSONWritable]) {
        key(name)
        beginArray()
        for value in values { self.value(value) }
        endArray()
    }

    private mutating func separate() {
        if needsComma { buffer.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    private mutating func begin(_ bracket: UInt8) {
        separate()
        buffer.append(bracket)
        enclosing.append(needsComma)
        needsComma = false
    }

    private mutating func end(_ bracket: UInt8) {
        buffer.append(bracket)
        needsComma = enclosing.removeLast()
    }

    private mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { buffer.append(contentsOf: $0) }
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
