/// `application/x-www-form-urlencoded` (WHATWG URL standard, "application/x-www-form-urlencoded
/// parsing"): `&`-separated pairs, `+` for space, percent escapes. Repeated names are kept, in
/// order, because Twilio signs every value of every parameter.
public enum FormURLEncoding {
    public static func decode(_ text: String) -> [(name: String, value: String)] {
        decode(utf8: Array(text.utf8))
    }

    /// Decodes a form body; nil when it is not valid UTF-8.
    public static func decode(body: [UInt8]) -> [(name: String, value: String)]? {
        guard body.isValidUTF8 else { return nil }
        return decode(utf8: body)
    }

    /// Splits and decodes on the bytes, as the standard does: `&` and `=` are ASCII, never part of
    /// a multi-byte character. (Splitting the `String` by `Character` cost every webhook a
    /// grapheme walk, and each part a copy to bytes.)
    private static func decode(utf8 bytes: [UInt8]) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                var end = start
                while end < buffer.count, buffer[end] != UInt8(ascii: "&") { end += 1 }
                if end > start {
                    var equals = start
                    while equals < end, buffer[equals] != UInt8(ascii: "=") { equals += 1 }
                    let name = percentDecode(UnsafeBufferPointer(rebasing: buffer[start..<equals]))
                    let value = equals < end ? percentDecode(UnsafeBufferPointer(rebasing: buffer[(equals + 1)..<end])) : ""
                    pairs.append((name, value))
                }
                start = end + 1
            }
        }
        return pairs
    }

    /// Encodes pairs in the given order.
    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&")
    }

    static func percentDecode(_ text: UnsafeBufferPointer<UInt8>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < text.count,
                      let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) {
                bytes.append(high << 4 | low)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
