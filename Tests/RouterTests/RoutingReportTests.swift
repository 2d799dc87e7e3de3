import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRouter
import SwitchboardTestSupport

/// `router.report` over a history built through real `router.route`, `router.reply` and
/// `router.resolve` calls with known times, across New York's 2026 autumn change.
@Suite(.serialized) struct RoutingReportTests {
    static let config = """
        {"version": 1, "location": {"id": "loc_r", "name": "R", "timezone": "America/New_York", "admins": ["u_owner"]},
         "users": [{"id": "u_owner", "name": "Owner"}, {"id": "u_a", "name": "A"}, {"id": "u_b", "name": "B", "maxOpen": 1}],
         "teams": [{"id": "t", "name": "T", "members": ["u_a", "u_b"]}],
         "accounts": [
           {"id": "acc_main", "name": "Main", "platform": "twilio", "address": "+15550990001", "assignment": {"target": {"team": "t", "mode": "round_robin"}}},
           {"id": "acc_none", "name": "Nobody", "platform": "imessage", "address": "+15550990002"}]}
        """

    @Test func everyFigureMatchesTheHistory() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try WireJSON.decode(JSONValue.self, from: Array(Self.config.utf8)))
        func route(_ id: String, from: String, to: String = "+15550990001", platform: Platform = .twilio, at: String) async throws {
            let message = InboundMessage(provider: platform.rawValue, messageId: id, platform: platform, account: to, contact: from, text: "hi", at: RFC3339.parse(at)!)
            _ = try await mesh.routerClient.call("router.route", message, as: JSONValue.self)
        }
        func reply(to contact: String, at: String) async throws {
            let reply = ReplyEvent(provider: "twilio", messageId: UUID().uuidString, platform: .twilio, account: "+15550990001", contact: contact, at: RFC3339.parse(at)!)
            _ = try await mesh.routerClient.call("router.reply", reply, as: JSONValue.self)
        }
        // Saturday 2026-10-31, 20:00 EDT (00:00Z Nov 1): u_a; answered after 60 s.
        try await route("m1", from: "+15551000001", at: "2026-11-01T00:00:00Z")
        try await reply(to: "+15551000001", at: "2026-11-01T00:01:00Z")
        // Sunday 2026-11-01 01:30 EDT (05:30Z) and 01:30 EST (06:30Z): the repeated hour, same local day.
        try await route("m2", from: "+15551000002", at: "2026-11-01T05:30:00Z")
        try await reply(to: "+15551000002", at: "2026-11-01T05:35:00Z")
        try await route("m3", from: "+15551000003", at: "2026-11-01T06:30:00Z")
        try await reply(to: "+15551000003", at: "2026-11-01T06:32:00Z")
        // u_b is at capacity 1/1 now: round robin goes to u_a; then a returning message and a second reply (not counted).
        try await route("m4", from: "+15551000004", at: "2026-11-01T07:00:00Z")
        try await route("m5", from: "+15551000001", at: "2026-11-01T07:10:00Z")
        try await reply(to: "+15551000001", at: "2026-11-01T07:11:00Z")
        // An account with no assignment: unassigned, no_config.
        try await route("m6", from: "+15551000006", to: "+15550990002", platform: .imessage, at: "2026-11-01T08:00:00Z")
        _ = try await mesh.routerClient.call("router.resolve", ["location": "loc_r", "contact": "+15551000002"], as: JSONValue.self)

        let report = try await mesh.routerClient.call("router.report", ["location": "loc_r", "since": "2026-10-31T00:00:00Z", "until": "2026-11-02T00:00:00Z"], as: RoutingReport.self)
        let users = Dictionary(uniqueKeysWithValues: report.users.map { ($0.user, $0) })
        #expect(users["u_a"]?.assigned == 3)
        #expect(users["u_b"]?.assigned == 1)
        // u_a's answered assignments took 60 s (m1) and 120 s (m3); m4 was never answered and m5's
        // reply does not count (m5 kept the owner; m1 already had its first response).
        #expect(users["u_a"]?.firstResponseP50 == 60)
        #expect(users["u_a"]?.firstResponseP90 == 120)
        #expect(users["u_a"]?.openNow == 3)
        #expect(users["u_b"]?.openNow == 0 && users["u_b"]?.resolved == 1)
        #expect(users["u_b"]?.firstResponseP50 == 300)
        #expect(users["u_a"]?.teamShare == 0.75)
        let accounts = Dictionary(uniqueKeysWithValues: report.accounts.map { ($0.account, $0) })
        #expect(accounts["acc_main"]?.inbound == 5 && accounts["acc_main"]?.newContacts == 4 && accounts["acc_main"]?.assigned == 4)
        #expect(accounts["acc_none"]?.unassigned == ["no_config": 1])
        #expect(report.targets.first?.spread == 2)
        #expect(report.days.map(\.day) == ["2026-10-31", "2026-11-01"])
        #expect(report.days.first?.assigned == ["u_a": 1])
        #expect(report.days.last?.inbound == 5)
        #expect(report.days.last?.assigned == ["u_a": 2, "u_b": 1])
        #expect(report.days.last?.unassigned == 1)
    }
}
