import Foundation
import Testing
@testable import SwitchboardDomain
import SwitchboardTestSupport

@Suite struct ScheduleTests {
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let london = TimeZone(identifier: "Europe/London")!

    static func at(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test(arguments: [
        // New York weekdays 09:00-17:00 around 2026 and 2027 changes (EST = UTC-5, EDT = UTC-4).
        ("2026-03-06T13:59:00Z", false), ("2026-03-06T14:00:00Z", true),
        ("2026-03-09T12:59:00Z", false), ("2026-03-09T13:00:00Z", true), ("2026-03-09T20:59:00Z", true), ("2026-03-09T21:00:00Z", false),
        ("2026-10-30T12:59:00Z", false), ("2026-10-30T13:00:00Z", true), ("2026-11-02T13:59:00Z", false), ("2026-11-02T14:00:00Z", true),
        ("2027-03-12T14:00:00Z", true), ("2027-03-15T13:00:00Z", true), ("2027-03-15T12:59:00Z", false),
        ("2027-11-05T13:00:00Z", true), ("2027-11-08T13:00:00Z", false), ("2027-11-08T14:00:00Z", true),
    ])
    func newYorkBusinessHoursFollowDaylightSaving(instant: String, open: Bool) throws {
        let hours = try Schedule(days: ["mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]])
        #expect(hours.isOpen(at: Self.at(instant), in: Self.newYork) == open)
    }

    @Test(arguments: [
        ("2026-03-08T06:59:00Z", true), ("2026-03-08T07:00:00Z", false),
        ("2026-11-01T05:30:00Z", true), ("2026-11-01T06:30:00Z", true), ("2026-11-01T07:00:00Z", true), ("2026-11-01T08:00:00Z", false),
    ])
    func newYorkSkippedAndRepeatedHours(instant: String, open: Bool) throws {
        let schedule = try Schedule(days: ["sun": ["01:00-02:00", "02:00-03:00"]])
        #expect(schedule.isOpen(at: Self.at(instant), in: Self.newYork) == open)
    }

    @Test(arguments: [
        ("2026-03-29T00:30:00Z", true), ("2026-03-29T01:00:00Z", false),
        ("2027-03-28T00:30:00Z", true), ("2027-03-28T01:00:00Z", false),
        ("2026-10-24T23:30:00Z", true), ("2026-10-25T01:30:00Z", false),
        ("2027-10-30T23:30:00Z", true), ("2027-10-31T01:30:00Z", false),
    ])
    func londonAroundSummerTime(instant: String, open: Bool) throws {
        let schedule = try Schedule(days: ["sun": ["00:00-01:00"]])
        #expect(schedule.isOpen(at: Self.at(instant), in: Self.london) == open)
    }

    @Test func londonRepeatedHourMatchesBothTimes() throws {
        let schedule = try Schedule(days: ["sun": ["01:00-02:00"]])
        #expect(schedule.isOpen(at: Self.at("2027-10-31T00:30:00Z"), in: Self.london))
        #expect(schedule.isOpen(at: Self.at("2027-10-31T01:30:00Z"), in: Self.london))
        #expect(!schedule.isOpen(at: Self.at("2027-10-31T02:00:00Z"), in: Self.london))
    }

    @Test func overnightRangesRunIntoTheNextDay() throws {
        let schedule = try Schedule(days: ["fri": ["22:00-06:00"]])
        #expect(!schedule.isOpen(at: Self.at("2026-12-04T02:59:00Z"), in: Self.newYork))
        #expect(schedule.isOpen(at: Self.at("2026-12-05T03:00:00Z"), in: Self.newYork))
        #expect(schedule.isOpen(at: Self.at("2026-12-05T10:59:00Z"), in: Self.newYork))
        #expect(!schedule.isOpen(at: Self.at("2026-12-05T11:00:00Z"), in: Self.newYork))
    }

    @Test func wholeDayRangeCoversMidnightToMidnight() throws {
        let schedule = try Schedule(days: ["sat": ["00:00-24:00"]])
        #expect(schedule.isOpen(at: Self.at("2026-12-05T05:00:00Z"), in: Self.newYork))
        #expect(schedule.isOpen(at: Self.at("2026-12-06T04:59:59Z"), in: Self.newYork))
        #expect(!schedule.isOpen(at: Self.at("2026-12-06T05:00:00Z"), in: Self.newYork))
    }

    @Test func closedDatesCloseTheWholeDayAndCancelShiftsStartingThatDay() throws {
        let schedule = try Schedule(days: ["thu": ["22:00-06:00"], "fri": ["09:00-17:00", "22:00-06:00"]], closedDates: ["2026-12-25"])
        #expect(!schedule.isOpen(at: Self.at("2026-12-25T08:00:00Z"), in: Self.newYork))
        #expect(!schedule.isOpen(at: Self.at("2026-12-25T15:00:00Z"), in: Self.newYork))
        #expect(!schedule.isOpen(at: Self.at("2026-12-26T08:00:00Z"), in: Self.newYork))
        #expect(schedule.isOpen(at: Self.at("2027-01-01T15:00:00Z"), in: Self.newYork))
    }

    @Test(arguments: [
        (["mun": ["09:00-17:00"]], "unknown weekday \"mun\" (use mon, tue, wed, thu, fri, sat, sun)"),
        (["mon": ["9:00-17:00"]], "invalid time range \"9:00-17:00\" (use HH:MM-HH:MM)"),
        (["mon": ["09:00-25:00"]], "invalid time range \"09:00-25:00\" (use HH:MM-HH:MM)"),
        (["mon": ["09:00-09:00"]], "empty time range \"09:00-09:00\""),
        (["mon": ["24:00-02:00"]], "invalid time range \"24:00-02:00\" (use HH:MM-HH:MM)"),
        (["mon": ["09:60-10:00"]], "invalid time range \"09:60-10:00\" (use HH:MM-HH:MM)"),
    ])
    func invalidValuesAreNamed(days: [String: [String]], message: String) {
        #expect(throws: ScheduleError(message)) { try Schedule(days: days) }
    }

    @Test func invalidDatesAndZonesAreNamed() {
        #expect(throws: ScheduleError("invalid date \"2026-02-30\" (use YYYY-MM-DD)")) { try Schedule(days: [:], closedDates: ["2026-02-30"]) }
        #expect(throws: ScheduleError("unknown time zone \"Mars/Olympus\"")) { try TimeZones.named("Mars/Olympus") }
    }

    /// A week table of open minutes with `Calendar` doing the zone conversion: a second,
    /// independent reading of the same rules.
    static func reference(_ schedule: Schedule, _ instant: Date, _ zone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: instant)
        let weekday = (parts.weekday! + 5) % 7
        let minute = parts.hour! * 60 + parts.minute!
        var table = [[Bool]](repeating: [Bool](repeating: false, count: 1440), count: 7)
        var cancelledSpill = [Bool](repeating: false, count: 7)
        let today = LocalDate(parsing: String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))!
        if schedule.closedDates.contains(today) { return false }
        if schedule.closedDates.contains(today.previous) { cancelledSpill[(weekday + 6) % 7] = true }
        for day in 0..<7 {
            for range in schedule.ranges[day] {
                var cursor = range.start
                let length = range.end > range.start ? range.end - range.start : 1440 - range.start + range.end
                for _ in 0..<length {
                    let spill = cursor >= 1440
                    let targetDay = spill ? (day + 1) % 7 : day
                    if !(spill && cancelledSpill[day]) { table[targetDay][cursor % 1440] = true }
                    cursor += 1
                }
            }
        }
        return table[weekday][minute]
    }

    @Test func agreesWithACalendarReferenceAtRandomInstants() throws {
        var generator = SeededGenerator.forTest(seed: 20261128)
        let zones = ["America/New_York", "Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe"].map { TimeZone(identifier: $0)! }
        let schedules = [
            try Schedule(days: ["mon": ["09:00-17:00"], "fri": ["09:00-13:00", "14:00-17:00"], "sat": ["22:00-06:00"]], closedDates: ["2026-12-25", "2027-07-04"]),
            try Schedule(days: ["sun": ["00:00-24:00"], "wed": ["23:30-00:30"], "thu": ["01:00-02:00"]]),
        ]
        let start = Self.at("2026-01-01T00:00:00Z").timeIntervalSince1970
        for _ in 0..<20_000 {
            let instant = Date(timeIntervalSince1970: (start + Double.random(in: 0..<(2 * 365 * 86_400), using: &generator)).rounded(.down) / 60 * 60)
            let zone = zones.randomElement(using: &generator)!
            let schedule = schedules.randomElement(using: &generator)!
            #expect(schedule.isOpen(at: instant, in: zone) == Self.reference(schedule, instant, zone), "at \(instant) in \(zone.identifier)")
        }
    }
}
