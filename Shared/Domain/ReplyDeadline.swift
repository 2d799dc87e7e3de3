public import Foundation

/// How long an assignee has to answer a contact before routing moves it (`replyWithin`), as
/// configured: `90s`, `15m`, `2h`, `1h30m`, `1d`.
public struct ReplyWindow: Sendable, Equatable, CustomStringConvertible {
    public let seconds: Int
    /// The text it was written as, for traces and for writing the configuration back.
    public let description: String

    /// Parses `<number><unit>` pieces (units `d`, `h`, `m`, `s`, each at most once, largest
    /// first); nil for anything else, zero, or more than 30 days.
    public init?(_ text: String) {
        let units: [(Character, Int)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        var total = 0
        var digits = ""
        var nextUnit = 0
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 6 else { return nil }
                continue
            }
            guard let value = Int(digits), let index = units.firstIndex(where: { $0.0 == character }), index >= nextUnit else { return nil }
            total += value * units[index].1
            nextUnit = index + 1
            digits = ""
        }
        guard digits.isEmpty, total > 0, total <= 30 * 86_400 else { return nil }
        seconds = total
        description = text
    }
}

/// Which time `replyWithin` counts: every second, or only the location's business hours.
public enum ReplyClock: String, Codable, Sendable, CaseIterable {
    case wall, business
}

/// The reply an assignee owes a contact (`ROUTING.md`, "Re-assignment on no reply" in
/// `docs/routing.md`): kept in the contact's state, so the due time is in the router's file
/// with the decision that set it, found again after a restart, and gone in the same
/// transaction as the decision that fires it (never fired twice).
public struct ReplyDeadline: Codable, Sendable, Equatable {
    /// Who must reply.
    public var user: String
    public var due: Date
    /// The window as configured (`15m`), for the trace.
    public var window: String
    /// Re-assignments on no reply already made for this contact since its last reply.
    public var reassignments: Int
    /// The most re-assignments the assignment allows; at it, the admins are told instead.
    public var maxReassignments: Int

    public init(user: String, due: Date, window: String, reassignments: Int, maxReassignments: Int) {
        self.user = user
        self.due = due
        self.window = window
        self.reassignments = reassignments
        self.maxReassignments = maxReassignments
    }

    enum CodingKeys: String, CodingKey { case user, due, window, reassignments, maxReassignments }
}

extension Schedule {
    /// The instant at which `seconds` of open time have passed since `start`, read in `zone`
    /// (nil when the schedule has less than that in the next 60 days). Schedules change state
    /// only on whole minutes, so open time is counted a minute at a time once aligned.
    public func addingOpenTime(_ seconds: Int, to start: Date, in zone: TimeZone) -> Date? {
        var remaining = Double(seconds)
        var cursor = start
        let limit = start.addingTimeInterval(60 * 86_400)
        while cursor < limit {
            let minuteEnd = (cursor.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
            let step = minuteEnd - cursor.timeIntervalSince1970
            if isOpen(at: cursor, in: zone) {
                if remaining <= step { return cursor.addingTimeInterval(remaining) }
                remaining -= step
            }
            cursor = Date(timeIntervalSince1970: minuteEnd)
        }
        return nil
    }
}
