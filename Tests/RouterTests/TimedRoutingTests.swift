import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRouter

/// The rules of routing over time, without the network: reply windows and business time, the
/// queue pass's order, and `simulate` working deadlines out for the configuration it replays.
@Suite struct TimedRoutingTests {
    @Test(arguments: [("15m", 900), ("1h30m", 5_400), ("90s", 90), ("1d", 86_400), ("2h", 7_200), ("30d", 2_592_000)])
    func replyWindowsReadAsWritten(text: String, seconds: Int) {
        #expect(ReplyWindow(text)?.seconds == seconds)
        #expect(ReplyWindow(text)?.description == text)
    }

    @Test(arguments: ["", "15", "m", "15x", "30m1h", "1h1h", "0m", "31d", " 15m", "-5m", "1.5h"])
    func anythingElseIsNotAReplyWindow(text: String) {
        #expect(ReplyWindow(text) == nil)
    }

    @Test func aConfigurationWithABadWindowIsRefusedNamingIt() throws {
        let document = #"{"target": {"user": "u_a"}, "replyWithin": "soon"}"#
        #expect {
            try WireJSON.decode(Assignment.self, from: Array(document.utf8))
        } throws: { "\($0)".contains("replyWithin") && "\($0)".contains("15m") }
        let tooMany = #"{"target": {"user": "u_a"}, "replyWithin": "5m", "maxReassignments": 99}"#
        #expect(throws: (any Error).self) { try WireJSON.decode(Assignment.self, from: Array(tooMany.utf8)) }
    }

    static let weekdays = try! Schedule(days: ["mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]])
    static let utc = TimeZone(identifier: "UTC")!

    @Test(arguments: [
        ("2026-12-04T16:50:00Z", 1_800, "2026-12-07T09:20:00Z"),  // Friday before close → Monday
        ("2026-12-05T12:00:00Z", 900, "2026-12-07T09:15:00Z"),    // Saturday → Monday's opening
        ("2026-12-07T10:00:30Z", 60, "2026-12-07T10:01:30Z"),     // inside hours, mid-minute
        ("2026-12-07T16:59:30Z", 60, "2026-12-08T09:00:30Z"),     // half a minute today, half tomorrow
    ])
    func businessTimeCountsOnlyOpenMinutes(start: String, seconds: Int, due: String) {
        #expect(Self.weekdays.addingOpenTime(seconds, to: RFC3339.parse(start)!, in: Self.utc) == RFC3339.parse(due))
    }

    @Test func businessTimeThatNeverOpensGivesNoDueTime() throws {
        let closed = try Schedule(days: [:])
        #expect(closed.addingOpenTime(60, to: RFC3339.parse("2026-12-07T10:00:00Z")!, in: Self.utc) == nil)
    }

    static func queued(_ address: String, team: String, at minute: Int) -> ContactState {
        var contact = ContactState(location: "loc", address: address)
        contact.queuedFor = team
        contact.queuedAt = Date(timeIntervalSince1970: Double(minute) * 60)
        return contact
    }

    @Test func aQueuePassOffersOldestFirstAndNoOneJumpsTheirTeamsQueue() {
        let contacts = [
            Self.queued("+3", team: "t_a", at: 3), Self.queued("+1", team: "t_a", at: 1), Self.queued("+2", team: "t_b", at: 2),
            Self.queued("+4", team: "t_b", at: 4), Self.queued("+5", team: "t_a", at: 5),
        ]
        var offered: [String] = []
        TimedRouting.queuePass(contacts) { contact in
            offered.append(contact.address)
            return contact.address != "+3"  // t_a's second contact cannot be placed
        }
        #expect(offered == ["+1", "+2", "+3", "+4"], "+5 waits behind +3; t_b goes on")
    }

    /// A round-robin pool with a 15-minute window: the proposed configuration's deadline fires
    /// between the two messages and moves the rotation, so the second contact's user changes.
    @Test func simulateFiresTheProposedConfigurationsDeadlinesBetweenEvents() async throws {
        func config(replyWithin: String?) throws -> LocationConfig {
            let window = replyWithin.map { #", "replyWithin": "\#($0)""# } ?? ""
            let text = #"""
                {"version": 1, "location": {"id": "loc", "timezone": "UTC", "admins": ["u_admin"]},
                 "users": [{"id": "u_admin"}, {"id": "u_a"}, {"id": "u_b"}, {"id": "u_c"}],
                 "accounts": [{"id": "acc", "platform": "whatsapp", "address": "+15550000001",
                   "assignment": {"target": {"pool": ["u_a", "u_b", "u_c"], "mode": "round_robin"}\#(window)}}]}
                """#
            return try WireJSON.decode(LocationConfig.self, from: Array(text.utf8))
        }
        let start = RFC3339.parse("2026-11-30T10:00:00Z")!
        let events: [Simulation.Event] = [0, 20].enumerated().map { index, minutes in
            .message(InboundMessage(provider: "whatsapp", messageId: "m\(index)", platform: .whatsapp, account: "+15550000001",
                                    contact: "+1555000100\(index)", text: "hi", at: start.addingTimeInterval(Double(minutes) * 60)), actual: nil)
        }
        let plain = try await Simulation.run(config: config(replyWithin: nil), events: events)
        #expect(plain.simulated == ["u_a": 1, "u_b": 1])
        #expect(plain.timed.isEmpty)
        let timed = try await Simulation.run(config: config(replyWithin: "15m"), events: events)
        #expect(timed.simulated == ["u_a": 1, "u_c": 1], "u_b took the first contact at 10:15, so the rotation gives the second to u_c")
        #expect(timed.timed == ["sla_reassigned": 1])
    }
}
