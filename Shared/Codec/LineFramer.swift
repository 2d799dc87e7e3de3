/// Splits a byte stream into `\n`-terminated lines, enforcing a maximum line length.
///
/// `PROTOCOL.md` framing: one JSON object per line; a `\r` before `\n` is dropped; empty lines are
/// skipped; a line (or an unterminated prefix) longer than ``maximumLineLength`` is an error the
/// caller answers with `line_too_long` before closing. Not thread-safe: one framer per connection,
/// used on that connection's queue.
public struct LineFramer: Sendable {
    /// The outcome of asking for the next line.
    public enum Next: Equatable, Sendable {
        case line([UInt8])
        case needMoreData
        case tooLong
    }

    public let maximumLineLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0

    public init(maximumLineLength: Int = 1 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes received but not yet returned as lines.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        } else if start > 65_536, start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete, non-empty line without its terminator.
    public mutating func next() -> Next {
        while true {
            guard let newline = findNewline() else {
                return bufferedByteCount > maximumLineLength ? .tooLong : .needMoreData
            }
            var end = newline
            if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let length = end - start
            let lineStart = start
            start = newline + 1
            scanned = start
            if length > maximumLineLength { return .tooLong }
            if length == 0 { continue }
            return .line(Array(buffer[lineStart..<end]))
        }
    }

    private mutating func findNewline() -> Int? {
        let count = buffer.count
        let found: Int? = buffer.withUnsafeBufferPointer { pointer in
            var index = scanned
            while index < count {
                if pointer[index] == 0x0A { return index }
                index += 1
            }
            return nil
        }
        if found == nil { scanned = count }
        return found
    }
}
