/// Writes a Swift string as a JSON string token (RFC 8259 §7), for envelope fields and
/// ``JSONWriter`` on hot paths where a full `JSONEncoder` pass would cost more than the line.
enum JSONString {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func append<Sink: JSONByteSink & ~Copyable>(_ text: String, to output: inout Sink) {
        var text = text
        text.withUTF8 { utf8 in
            output.append(UInt8(ascii: "\""))
            var plainStart = 0
            var index = 0
            while index < utf8.count {
                // Eight plain bytes at a time; a word that may hold one to escape goes byte by byte.
                if index + 8 <= utf8.count, let base = utf8.baseAddress,
                   !mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = utf8[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                let escaped = index - 1
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<escaped]))
                plainStart = index
                output.append(0x5C)
                switch byte {
                case UInt8(ascii: "\""): output.append(0x22)
                case UInt8(ascii: "\\"): output.append(0x5C)
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    for digit in [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]] {
                        output.append(digit)
                    }
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<utf8.count]))
            output.append(UInt8(ascii: "\""))
        }
    }

    /// Whether any of the eight bytes in `word` is a control character, a quote or a backslash
    /// (the bit tricks of "Bit Twiddling Hacks": a byte below n, a byte equal to b).
    @inline(__always)
    private static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highBits != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highBits != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }
}

/// Where ``JSONString`` writes: an envelope's byte array or a ``JSONWriter``'s buffer.
protocol JSONByteSink: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: JSONByteSink where Element == UInt8 {}
