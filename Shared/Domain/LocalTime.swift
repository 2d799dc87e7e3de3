public import Foundation
import SwitchboardCodec

/// Monday-first weekdays, as configuration spells them.
public enum Weekday: Int, Sendable, CaseIterable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    private static let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public init?(name: String) {
        guard let index = Weekday.names.firstIndex(of: name.lowercased()) else { return nil }
        self.init(rawValue: index)
    }

    public var name: String { Weekday.names[rawValue] }

    public var previous: Weekday { Weekday(rawValue: (rawValue + 6) % 7)! }
}

/// A calendar date with no zone (`YYYY-MM-DD`), e.g. a closed date.
public struct LocalDate: Hashable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let dayNumber: Int

    public init(dayNumber: Int) {
        self.dayNumber = dayNumber
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let number = RFC3339.daysFromCivil(year: year, month: month, day: day)
        guard LocalDate(dayNumber: number).components == (year, month, day) else { return nil }
        dayNumber = number
    }

    public var previous: LocalDate { LocalDate(dayNumber: dayNumber - 1) }

    /// Monday-first weekday (1970-01-01 was a Thursday).
    public var weekday: Weekday { Weekday(rawValue: ((dayNumber % 7) + 7 + 3) % 7)! }

    public var components: (year: Int, month: Int, day: Int) {
        RFC3339.civilFromDays(dayNumber)
    }

    public var description: String {
        let (year, month, day) = components
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}

/// An instant read on the wall clock of a time zone.
public struct LocalTime: Sendable, Equatable, CustomStringConvertible {
    public let date: LocalDate
    public let secondOfDay: Int

    /// Converts with the zone's offset at `instant` (DST-exact, no `Calendar` on the hot path).
    public init(_ instant: Date, in zone: TimeZone) {
        let local = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        date = LocalDate(dayNumber: day)
        secondOfDay = local - day * 86_400
    }

    public var weekday: Weekday { date.weekday }

    /// `HH:MM`, as explanations print it ("off shift (18:40 in America/Los_Angeles)").
    public var description: String {
        let hours = secondOfDay / 3600
        let minutes = secondOfDay / 60 % 60
        return (hours < 10 ? "0" : "") + String(hours) + (minutes < 10 ? ":0" : ":") + String(minutes)
    }
}

/// Time zone lookup that names the bad value.
public enum TimeZones {
    public static func named(_ identifier: String) throws(ScheduleError) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else {
            throw ScheduleError("unknown time zone \"\(identifier)\"")
        }
        return zone
    }
}
