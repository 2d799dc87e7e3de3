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

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }
}
