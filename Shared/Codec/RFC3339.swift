public import Foundation

/// RFC 3339 timestamps, the only time format on the wire (`PROTOCOL.md`).
///
/// Hand-rolled rather than `ISO8601DateFormatter` because it sits on every message's hot path
/// (STYLE.md) and because Foundation's `.iso8601` strategy rejects fractional seconds, which the
/// protocol allows. Parsing accepts `Z` or a numeric offset and any number of fraction digits;
/// formatting always writes UTC, with milliseconds only when the instant has them.
public enum RFC3339 {
    /// Parses `2026-11-28T17:00:00Z`, `2026-11-28T17:00:00.250Z` or `2026-11-28T12:00:00-05:00`.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.expect(UInt8(ascii: "-")),
              let month = reader.number(2), reader.expect(UInt8(ascii: "-")),
              let day = reader.number(2), reader.expect(oneOf: [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]),
              let hour = reader.number(2), reader.expect(UInt8(ascii: ":")),
              let minute = reader.number(2), reader.expect(UInt8(ascii: ":")),
              let second = reader.number(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if reader.expect(UInt8(ascii: ".")) {
            var scale = 0.1
            var digits = 0
            while let digit = reader.digit() {
                fraction += Double(digit) * scale
                scale /= 10
                digits += 1
            }
            if digits == 0 { return nil }
        }
        var offsetSeconds = 0
        if reader.expect(oneOf: [UInt8(ascii: "Z"), UInt8(ascii: "z")]) {
            offsetSeconds = 0
        } else if let sign = reader.take(oneOf: [UInt8(ascii: "+"), UInt8(ascii: "-")]) {
            guard let offsetHours = reader.number(2), reader.expect(UInt8(ascii: ":")), let offsetMinutes = reader.number(2),
                  offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Formats an instant as UTC RFC 3339, e.g. `2026-11-28T17:00:00Z` or `…:00.250Z`.
    public static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var wholeSeconds = Int(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(wholeSeconds)) * 1000).rounded())
        if milliseconds == 1000 {
            wholeSeconds += 1
            milliseconds = 0
        }
        let days = wholeSeconds >= 0 ? wholeSeconds / 86_400 : (wholeSeconds - 86_399) / 86_400
        let secondOfDay = wholeSeconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        var output = [UInt8]()
        output.reserveCapacity(24)
        appendPadded(&output, year, 4)
        output.append(UInt8(ascii: "-"))
        appendPadded(&output, month, 2)
        output.append(UInt8(ascii: "-"))
        appendPadded(&output, day, 2)
        output.append(UInt8(ascii: "T"))
        appendPadded(&output, secondOfDay / 3600, 2)
        output.append(UInt8(ascii: ":"))
        appendPadded(&output, secondOfDay / 60 % 60, 2)
        output.append(UInt8(ascii: ":"))
        appendPadded(&output, secondOfDay % 60, 2)
        if milliseconds > 0 {
            output.append(UInt8(ascii: "."))
            appendPadded(&output, milliseconds, 3)
        }
        output.append(UInt8(ascii: "Z"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `value`'s last `width` decimal digits, zero-padded, in place (a temporary array
    /// per field was most of what formatting a timestamp cost).
    private static func appendPadded(_ output: inout [UInt8], _ value: Int, _ width: Int) {
        let end = output.count + width
        output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var remaining = value
        var index = end - 1
        while index >= end - width {
            output[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
    /// Low-Level Date Algorithms").
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day number (days since 1970-01-01).
    public static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func digit() -> Int? {
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - 0x30)
    }

    mutating func number(_ width: Int) -> Int? {
        var value = 0
        for _ in 0..<width {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(oneOf choices: [UInt8]) -> Bool { take(oneOf: choices) != nil }

    mutating func take(oneOf choices: [UInt8]) -> UInt8? {
        guard index < bytes.count, choices.contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return bytes[index]
    }
}
