public import Foundation

/// A weekly schedule: per weekday, `HH:MM-HH:MM` ranges in one IANA time zone, plus closed dates.
///
/// One type serves users' shifts (`users[].schedule`) and locations' business hours
/// (`location.businessHours`, `closedDates`), as `CONFIG.md` defines them:
/// - a range includes its start and excludes its end; `00:00-24:00` is the whole day;
/// - a range whose end is not after its start (`22:00-06:00`) runs past midnight into the next day;
/// - a missing weekday is closed;
/// - a closed date is closed all day, and a range that *starts* on a closed date is cancelled
///   whole, including the part after midnight (a shift belongs to the day it starts).
///
/// Evaluation converts the instant with the zone's UTC offset *at that instant*, so it is exact
/// across daylight-saving changes: local times skipped in spring never match, and the repeated
/// hour in autumn matches both times it occurs.
public struct Schedule: Sendable, Equatable {
    /// Ranges by weekday, index 0 = Monday … 6 = Sunday.
    public let ranges: [[TimeRange]]
    /// Local dates (`YYYY-MM-DD`) closed all day.
    public let closedDates: Set<LocalDate>

    public init(ranges: [[TimeRange]], closedDates: Set<LocalDate> = []) {
        precondition(ranges.count == 7, "a schedule has seven weekdays")
        self.ranges = ranges
        self.closedDates = closedDates
    }

    /// Parses the configuration form `{"mon": ["09:00-17:00"], …}` and `["2026-12-25", …]`.
    ///
    /// - Throws: ``ScheduleError`` naming the offending weekday, range or date.
    public init(days: [String: [String]], closedDates: [String] = []) throws(ScheduleError) {
        var ranges = [[TimeRange]](repeating: [], count: 7)
        for (day, texts) in days {
            guard let weekday = Weekday(name: day) else { throw ScheduleError("unknown weekday \"\(day)\" (use mon, tue, wed, thu, fri, sat, sun)") }
            ranges[weekday.rawValue] = try texts.map { text throws(ScheduleError) in try TimeRange(parsing: text) }
        }
        var dates = Set<LocalDate>()
        for text in closedDates {
            guard let date = LocalDate(parsing: text) else { throw ScheduleError("invalid date \"\(text)\" (use YYYY-MM-DD)") }
            dates.insert(date)
        }
        self.init(ranges: ranges, closedDates: dates)
    }

    /// Open at every instant.
    public static let always = Schedule(ranges: [[TimeRange]](repeating: [TimeRange(start: 0, end: 1440)], count: 7))

    /// Whether `instant` falls inside the schedule, read in `zone`.
    public func isOpen(at instant: Date, in zone: TimeZone) -> Bool {
        isOpen(at: LocalTime(instant, in: zone))
    }

    /// Whether the schedule is open at a wall-clock time already converted (a caller checking
    /// many people in one zone converts once).
    public func isOpen(at local: LocalTime) -> Bool {
        let minute = local.secondOfDay
        guard !closedDates.contains(local.date) else { return false }
        for range in ranges[local.weekday.rawValue] where range.coversSameDay(secondOfDay: minute) {
            return true
        }
        let yesterday = local.date.previous
        guard !closedDates.contains(yesterday) else { return false }
        for range in ranges[local.weekday.previous.rawValue] where range.coversNextDay(secondOfDay: minute) {
            return true
        }
        return false
    }

    /// The configuration form, for storing and for the wire.
    public var days: [String: [String]] {
        var result: [String: [String]] = [:]
        for weekday in Weekday.allCases where !ranges[weekday.rawValue].isEmpty {
            result[weekday.name] = ranges[weekday.rawValue].map(\.description)
        }
        return result
    }

    /// Whether any open instant of `self` (read in `zone`) is also open in `other` (read in
    /// `otherZone`) during the week starting at `reference`, sampled every 15 minutes.
    public func overlaps(_ other: Schedule, zone: TimeZone, otherZone: TimeZone, reference: Date) -> Bool {
        stride(from: 0.0, to: 7 * 86_400, by: 900).contains { offset in
            let instant = reference.addingTimeInterval(offset)
            return isOpen(at: instant, in: zone) && other.isOpen(at: instant, in: otherZone)
        }
    }
}

/// One `HH:MM-HH:MM` range, in minutes of the day; `end <= start` means it ends the next day.
public struct TimeRange: Sendable, Equatable, CustomStringConvertible {
    public let start: Int
    public let end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses `HH:MM-HH:MM`; `24:00` is allowed only as an end.
    public init(parsing text: String) throws(ScheduleError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = TimeRange.minutes(parts[0]), let end = TimeRange.minutes(parts[1]), start < 1440 else {
            throw ScheduleError("invalid time range \"\(text)\" (use HH:MM-HH:MM)")
        }
        guard start != end else { throw ScheduleError("empty time range \"\(text)\"") }
        guard end != 1440 || start < end else { throw ScheduleError("invalid time range \"\(text)\"") }
        self.start = start
        self.end = end
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
              hours < 24 || minutes == 0
        else { return nil }
        return hours * 60 + minutes
    }

    var overnight: Bool { end <= start }

    func coversSameDay(secondOfDay: Int) -> Bool {
        let startSecond = start * 60
        return overnight ? secondOfDay >= startSecond : secondOfDay >= startSecond && secondOfDay < end * 60
    }

    func coversNextDay(secondOfDay: Int) -> Bool {
        overnight && secondOfDay < end * 60
    }

    public var description: String {
        String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60)
    }
}

/// A problem in a schedule, naming the offending value.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
