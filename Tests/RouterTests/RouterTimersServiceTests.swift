import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardStore
import SwitchboardTestSupport

/// The router's time-driven routing over its real port and file: reply deadlines that survive a
/// SIGKILL and fire once, replies that pay them, the wall-clock loop, and queued contacts picked
/// up when the directory says a member is back.
@Suite(.serialized) struct RouterTimersServiceTests {
    typealias Answer = RouterServiceTests.Answer

    /// Two users in a round-robin pool who must reply within 15 minutes; `team` queues for a
    /// team that assigns its queue.
    static func config(replyWithin: String = "15m", maxOpen: Int? = nil) throws -> JSONValue {
        var users: [[String: Any]] = [["id": "u_admin", "name": "Admin"], ["id": "u_a", "name": "A"], ["id": "u_b", "name": "B"]]
        if let maxOpen { for index in 1...2 { users[index]["maxOpen"] = maxOpen } }
        let config: [String: Any] = [
            "version": 1,
            "location": ["id": "loc_t", "name": "Timers", "timezone": "UTC", "admins": ["u_admin"]],
            "users": users,
            "teams": [["id": "t_ab", "name": "AB", "members": ["u_a", "u_b"], "assignQueued": true]],
            "accounts": [[
                "id": "acc", "name": "Line", "platform": "whatsapp", "address": "+15550900001",
                "assignment": ["target": ["team": "t_ab", "mode": "round_robin"], "replyWithin": replyWithin],
            ]],
        ]
        return try WireJSON.decode(JSONValue.self, from: Array(try JSONSerialization.data(withJSONObject: config)))
    }

    struct Found: Decodable {
        struct Record: Decodable { var reason: String; var event: String; enum CodingKeys: String, CodingKey { case reason, event } }
        var contact: ContactState
        var history: [Record]
        enum CodingKeys: String, CodingKey { case contact, history }
    }

    static func contact(_ client: LineClient, _ address: String) async throws -> Found {
        try await client.call("router.contact", ["location": "loc_t", "contact": address], as: Found.self)
    }

    static func advance(_ client: LineClient, to time: String) async throws -> [String: Int] {
        try await client.call("router.advance_clock", ["to": time], as: [String: Int].self)
    }

    @Test func aDueDeadlineSurvivesSIGKILLAndFiresExactlyOnce() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config(), routerArguments: ["--test-clock", "true"])
        let router = RouterServiceTests.CurrentRouter(mesh)
        defer { router.stop() }
        let first = try await router.client.call("router.route", RouterServiceTests.message("+15559000001", to: "+15550900001", id: "t1", at: "2026-11-30T10:00:00Z"), as: Answer.self)
        #expect(first == Answer(owner: "u_a", reason: "account"))
        #expect(try await Self.contact(router.client, "+15559000001").contact.replyDeadline?.due == RFC3339.parse("2026-11-30T10:15:00Z"))

        try router.restart(folder: folder, directoryPort: mesh.directoryClient.options.port, notifierPort: mesh.notifier.server.port, arguments: ["--test-clock", "true"])
        #expect(try await Self.advance(router.client, to: "2026-11-30T10:14:59Z")["fired"] == 0)
        #expect(try await Self.advance(router.client, to: "2026-11-30T10:16:00Z")["fired"] == 1)
        let moved = try await Self.contact(router.client, "+15559000001")
        #expect(moved.contact.owner == "u_b")
        #expect(moved.history.map(\.reason) == ["account", "sla_reassigned"])
        #expect(moved.contact.replyDeadline?.due == RFC3339.parse("2026-11-30T10:30:00Z"), "the new owner's window starts at the re-assignment")

        // Killed again after the firing committed: found again, not fired again.
        try router.restart(folder: folder, directoryPort: mesh.directoryClient.options.port, notifierPort: mesh.notifier.server.port, arguments: ["--test-clock", "true"])
        #expect(try await Self.advance(router.client, to: "2026-11-30T10:16:00Z")["fired"] == 0)
        #expect(try await Self.contact(router.client, "+15559000001").history.count == 2)
        // Rows handed over just before a kill may be handed over again (their delete rode on a
        // commit that never came); the notifier takes each item id once, so count by id.
        func told() -> [String] {
            var seen = Set<String>()
            return mesh.notifier.items.values.filter { seen.insert($0.id).inserted }.compactMap(\.notification).map { "\($0.kind.rawValue)→\($0.recipient)" }
        }
        try await eventually { told().count >= 3 }
        #expect(told() == ["assigned→u_a", "assigned→u_b", "reassigned→u_a"])
    }

    @Test func aReplyPaysTheDeadlineAndALaterCheckMovesNothing() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config(), routerArguments: ["--test-clock", "true"])
        defer { mesh.router.stop() }
        _ = try await mesh.routerClient.call("router.route", RouterServiceTests.message("+15559000002", to: "+15550900001", id: "t2", at: "2026-11-30T10:00:00Z"), as: Answer.self)
        let reply = ReplyEvent(provider: "whatsapp", messageId: "r1", platform: .whatsapp, account: "+15550900001", contact: "+15559000002", at: RFC3339.parse("2026-11-30T10:05:00Z")!)
        #expect(try await mesh.routerClient.call("router.reply", reply, as: [String: Bool].self) == ["recorded": true])
        #expect(try await Self.contact(mesh.routerClient, "+15559000002").contact.replyDeadline == nil)
        #expect(try await Self.advance(mesh.routerClient, to: "2026-11-30T12:00:00Z")["fired"] == 0)
        #expect(try await Self.contact(mesh.routerClient, "+15559000002").contact.owner == "u_a")
    }

    @Test func withoutTheTestClockADeadlineFiresOnTheWallClockAndMovingTimeIsRefused() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config(replyWithin: "1s"))
        defer { mesh.router.stop() }
        await #expect(throws: WireError.self) { try await Self.advance(mesh.routerClient, to: "2030-01-01T00:00:00Z") }
        _ = try await mesh.routerClient.call("router.route", RouterServiceTests.message("+15559000003", to: "+15550900001", id: "t3", at: RFC3339.format(Date())), as: Answer.self)
        // The loop was asleep until its next sweep; the commit's deadline wakes it.
        try await eventually(timeout: 20) { try await Self.contact(mesh.routerClient, "+15559000003").contact.owner == "u_b" }
        #expect(try await Self.contact(mesh.routerClient, "+15559000003").history.map(\.reason).prefix(2) == ["account", "sla_reassigned"])
    }

    @Test func aQueuedContactIsPickedUpWhenTheDirectorySaysAMemberIsBack() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config(replyWithin: "30d", maxOpen: 1))
        defer { mesh.router.stop() }
        let now = RFC3339.format(Date())
        for (index, contact) in ["+15559000011", "+15559000012"].enumerated() {
            _ = try await mesh.routerClient.call("router.route", RouterServiceTests.message(contact, to: "+15550900001", id: "q\(index)", at: now), as: Answer.self)
        }
        let away = try await mesh.directoryClient.call(
            "directory.update_user", JSONValue.object(["id": .string("u_a"), "set": .object(["away": .bool(true)])]), as: JSONValue.self)
        // The directory's notice reaches the router on its own connection: wait for it, so the
        // next message is decided with u_a away.
        try await RouterServiceTests.waitUntilRouterHeard(mesh, directoryVersion: Int(away["version"]?.doubleValue ?? 0))
        _ = try await mesh.routerClient.call("router.resolve", ["location": "loc_t", "contact": "+15559000011"], as: Answer.self)
        let waiting = try await mesh.routerClient.call("router.route", RouterServiceTests.message("+15559000013", to: "+15550900001", id: "q3", at: now), as: Answer.self)
        #expect(waiting == Answer(owner: nil, reason: "queued"))
        // No router op after this: the directory's change notice alone starts the queue pass.
        _ = try await mesh.directoryClient.call("directory.update_user", JSONValue.object(["id": .string("u_a"), "set": .object(["away": .bool(false)])]), as: JSONValue.self)
        try await eventually(timeout: 20) { try await Self.contact(mesh.routerClient, "+15559000013").contact.owner == "u_a" }
        #expect(try await Self.contact(mesh.routerClient, "+15559000013").history.last?.reason == "dequeued")
    }
}
