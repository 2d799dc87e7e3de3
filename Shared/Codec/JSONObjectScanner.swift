/// Finds the top-level members of a JSON object without decoding their values.
///
/// Every line is scanned once to read `v`, `id` and `op` (or `ok`, `error`, `event`) and to find
/// the byte range of `body`, which is then decoded exactly once, by its handler's type. The scan
/// checks the whole line is well-formed JSON (RFC 8259) and valid UTF-8, with nesting limited to
/// ``maximumDepth`` so no input can exhaust the stack.
public struct JSONObjectScanner {
    /// One top-level member: its key (unescaped) and the byte range of its value.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: Range<Int>
    }

    public struct Malformed: Error, Equatable, Sendable {
        public var offset: Int
    }

    public static let maximumDepth = 64

    /// The members of the object that is the whole of `bytes` (surrounding white space allowed).
    ///
    /// - Throws: ``Malformed`` when `bytes` is not exactly one well-formed JSON object.
    public static func members(of bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> [Member] {
        var scanner = Cursor(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw Malformed(offset: scanner.index) }
        scanner.index += 1
        var members: [Member] = []
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyStart = scanner.index
                try scanner.skipString()
                let key = try decodeString(UnsafeBufferPointer(rebasing: bytes[keyStart..<scanner.index]))
                scanner.skipWhitespace()
                guard scanner.peek() == UInt8(ascii: ":") else { throw Malformed(offset: scanner.index) }
                scanner.index += 1
                scanner.skipWhitespace()
                let valueStart = scanner.index
                try scanner.skipValue(depth: 1)
                members.append(Member(key: key, value: valueStart..<scanner.index))
                scanner.skipWhitespace()
                guard let next = scanner.peek() else { throw Malformed(offset: scanner.index) }
                scanner.index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw Malformed(offset: scanner.index - 1) }
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Malformed(offset: scanner.index) }
        return members
    }

    /// The byte ranges of the elements of the array that is the whole of `bytes`, so each element
    /// can be decoded (or stored) on its own without re-encoding.
    public static func elements(ofArray bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> [Range<Int>] {
        var scanner = Cursor(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "[") else { throw Malformed(offset: scanner.index) }
        scanner.index += 1
        var elements: [Range<Int>] = []
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let start = scanner.index
                try scanner.skipValue(depth: 1)
                elements.append(start..<scanner.index)
                scanner.skipWhitespace()
                guard let next = scanner.peek() else { throw Malformed(offset: scanner.index) }
                scanner.index += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { throw Malformed(offset: scanner.index - 1) }
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw Malformed(offset: scanner.index) }
        return elements
    }

    /// Decodes a JSON string token (with its quotes) to a Swift string.
    public static func decodeString(_ token: UnsafeBufferPointer<UInt8>) throws(Malformed) -> String {
        guard token.count >= 2 else { throw Malformed(offset: 0) }
        let inner = UnsafeBufferPointer(rebasing: token[1..<(token.count - 1)])
        if !inner.contains(UInt8(ascii: "\\")) {
            guard let text = validUTF8(inner) else { throw Malformed(offset: 0) }
            return text
        }
        var output: [UInt8] = []
        output.reserveCapacity(inner.count)
        var index = 0
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < inner.count else { throw Malformed(offset: index) }
            switch inner[index] {
            case UInt8(ascii: "\""): output.append(0x22)
            case UInt8(ascii: "\\"): output.append(0x5C)
            case UInt8(ascii: "/"): output.append(0x2F)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(inner, index + 1)
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 < inner.count,
                   inner[index + 1] == UInt8(ascii: "\\"), inner[index + 2] == UInt8(ascii: "u") {
                    let low = try hex4(inner, index + 3)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                output.append(contentsOf: Array(String(character).utf8))
            default:
                throw Malformed(offset: index)
            }
            index += 1
        }
        guard let text = output.withUnsafeBufferPointer(validUTF8) else { throw Malformed(offset: 0) }
        return text
    }

    /// The string `bytes` spell, or nil when they are not UTF-8. ASCII, nearly every wire string,
    /// is taken without `String(validating:)`, whose unspecialized generic path costs more than
    /// the rest of a read.
    private static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    fileprivate static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) throws(Malformed) -> UInt32 {
        guard start + 4 <= bytes.count else { throw Malformed(offset: start) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[start + offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw Malformed(offset: start + offset)
            }
            value = value << 4 | digit
        }
        return value
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func skipValue(depth: Int) throws(Malformed) {
            guard depth <= JSONObjectScanner.maximumDepth, let first = peek() else { throw Malformed(offset: index) }
            switch first {
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), keyed: true, depth: depth)
            case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), keyed: false, depth: depth)
            case UInt8(ascii: "t"): try skipLiteral("true")
            case UInt8(ascii: "f"): try skipLiteral("false")
            case UInt8(ascii: "n"): try skipLiteral("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
            default: throw Malformed(offset: index)
            }
        }

        mutating func skipContainer(close: UInt8, keyed: Bool, depth: Int) throws(Malformed) {
            index += 1
            skipWhitespace()
            if peek() == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if keyed {
                    try skipString()
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ":") else { throw Malformed(offset: index) }
                    index += 1
                    skipWhitespace()
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw Malformed(offset: index) }
                index += 1
                if next == close { return }
                guard next == UInt8(ascii: ",") else { throw Malformed(offset: index - 1) }
            }
        }

        /// Skips a string token, checking escapes, control characters and UTF-8 sequences.
        mutating func skipString() throws(Malformed) {
            guard peek() == UInt8(ascii: "\"") else { throw Malformed(offset: index) }
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    try skipEscape()
                case 0..<0x20:
                    throw Malformed(offset: index)
                case 0x80...:
                    try skipUTF8Sequence(lead: byte)
                default:
                    index += 1
                }
            }
            throw Malformed(offset: index)
        }

        mutating func skipEscape() throws(Malformed) {
            guard index + 1 < bytes.count else { throw Malformed(offset: index) }
            switch bytes[index + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                index += 2
            case UInt8(ascii: "u"):
                _ = try JSONObjectScanner.hex4(bytes, index + 2)
                index += 6
            default:
                throw Malformed(offset: index + 1)
            }
        }

        mutating func skipUTF8Sequence(lead: UInt8) throws(Malformed) {
            let length: Int
            let minimum: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80
            case 0xE0...0xEF: length = 3; minimum = 0x800
            case 0xF0...0xF4: length = 4; minimum = 0x10000
            default: throw Malformed(offset: index)
            }
            guard index + length <= bytes.count else { throw Malformed(offset: index) }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<length {
                let continuation = bytes[index + offset]
                guard continuation & 0xC0 == 0x80 else { throw Malformed(offset: index + offset) }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { throw Malformed(offset: index) }
            index += length
        }

        mutating func skipLiteral(_ literal: StaticString) throws(Malformed) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw Malformed(offset: index) }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
                throw Malformed(offset: index + offset)
            }
            index += count
        }

        mutating func skipNumber() throws(Malformed) {
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            guard let first = peek(), first >= 0x30, first <= 0x39 else { throw Malformed(offset: index) }
            if first == 0x30 { index += 1 } else { skipDigits() }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard skipDigits() > 0 else { throw Malformed(offset: index) }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard skipDigits() > 0 else { throw Malformed(offset: index) }
            }
            if index == start { throw Malformed(offset: index) }
        }

        @discardableResult
        mutating func skipDigits() -> Int {
            let start = index
            while let byte = peek(), byte >= 0x30, byte <= 0x39 { index += 1 }
            return index - start
        }
    }
}
