import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRouter
import SwitchboardTestSupport

/// `router.simulate` over a history built through real `router.route` calls.
@Suite(.serialized) struct SimulationTests {
    struct Report: Decodable {
        var events: Int
        var reproduced: Int
        var actual: [String: Int]
        var simulated: [String: Int]
        var changedContacts: Int
    }

    static func config(weights: [String: Int]) throws -> JSONValue {
        let document = try JSONSerialization.jsonObject(with: try SharedFiles.data("scenarios/03-weighted-pool.json")) as! [String: Any]
        var config = document["config"] as! [String: Any]
        var accounts = config["accounts"] as! [[String: Any]]
        var assignment = accounts[0]["assignment"] as! [String: Any]
        var target = assignment["target"] as! [String: Any]
        target["weights"] = weights
        assignment["target"] = target
        accounts[0]["assignment"] = assignment
        config["accounts"] = accounts
        return try WireJSON.decode(JSONValue.self, from: Array(try JSONSerialization.data(withJSONObject: config)))
    }

    @Test func theIdenticalConfigurationReproducesEveryDecisionAndAChangedWeightShiftsCounts() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, scenario: "03-weighted-pool.json")
        let start = try #require(RFC3339.parse("2026-11-30T15:00:00Z"))
        for index in 0..<40 {
            let message = InboundMessage(provider: "twilio", messageId: "sim\(index)", platform: .twilio, account: "+15550030001",
                                         contact: "+1555440\(String(format: "%04d", index))", text: "quote", at: start.addingTimeInterval(Double(index) * 60))
            _ = try await mesh.routerClient.call("router.route", message, as: JSONValue.self)
        }
        let window: [String: JSONValue] = ["since": .string("2026-11-30T00:00:00Z"), "until": .string("2026-12-01T00:00:00Z")]
        var same = window
        same["config"] = try Self.config(weights: ["u_x": 3, "u_y": 1])
        let identical = try await mesh.routerClient.call("router.simulate", JSONValue.object(same), as: Report.self)
        #expect(identical.events == 40 && identical.reproduced == 40 && identical.changedContacts == 0)
        #expect(identical.actual == ["u_x": 30, "u_y": 10] && identical.simulated == identical.actual)

        var even = window
        even["config"] = try Self.config(weights: ["u_x": 1, "u_y": 1])
        let shifted = try await mesh.routerClient.call("router.simulate", JSONValue.object(even), as: Report.self)
        #expect(shifted.simulated == ["u_x": 20, "u_y": 20])
        #expect(shifted.actual == ["u_x": 30, "u_y": 10])
        #expect(shifted.changedContacts > 0)
    }

    /// Resolves and manual assignments free capacity; a replay that skipped them would send
    /// the later messages to the backup. Replayed between the messages, the identical
    /// configuration reproduces every decision.
    @Test func resolvesAndManualAssignmentsAreReplayedBetweenTheMessages() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, scenario: "04-capacity-backup-queue.json")
        func route(_ index: Int, minute: Int) async throws -> String? {
            let message = InboundMessage(
                provider: "imessage", messageId: "cap\(index)", platform: .imessage, account: "+15550040001",
                contact: "+1555460000\(index)", text: "help", at: RFC3339.parse("2026-11-30T15:\(String(format: "%02d", minute)):00Z")!)
            let answer = try await mesh.routerClient.call("router.route", message, as: RouterServiceTests.Answer.self)
            return answer.owner
        }
        func event(_ op: String, _ index: Int, minute: Int, user: String? = nil) async throws {
            var body: [String: JSONValue] = [
                "location": .string("loc_s04"), "contact": .string("+1555460000\(index)"), "at": .string("2026-11-30T15:\(String(format: "%02d", minute)):00Z"),
            ]
            if let user { body["user"] = .string(user) }
            _ = try await mesh.routerClient.call(op, JSONValue.object(body), as: JSONValue.self)
        }
        #expect(try await route(1, minute: 1) == "u_p")
        #expect(try await route(2, minute: 2) == "u_q")
        #expect(try await route(3, minute: 3) == "u_q")
        #expect(try await route(4, minute: 4) == "u_lead")
        try await event("router.resolve", 1, minute: 5)
        #expect(try await route(5, minute: 6) == "u_p")
        try await event("router.assign", 2, minute: 7, user: "u_lead")
        #expect(try await route(6, minute: 8) == "u_q")

        let config = try RouterServiceTests.scenarioConfig("04-capacity-backup-queue.json")
        struct Replayed: Decodable { var events: Int; var reproduced: Int; var contactEvents: Int }
        let report = try await mesh.routerClient.call("router.simulate", JSONValue.object([
            "config": config, "since": .string("2026-11-30T00:00:00Z"), "until": .string("2026-12-01T00:00:00Z"),
        ]), as: Replayed.self)
        #expect(report.events == 6 && report.contactEvents == 2)
        #expect(report.reproduced == 6)
    }

    @Test func aLongHistoryReplaysInMemory() async throws {
        let config = try WireJSON.decoder.decode(LocationConfig.self, from: Data(try WireJSON.encode(try Self.config(weights: ["u_x": 2, "u_y": 1]))))
        let start = try #require(RFC3339.parse("2026-11-30T15:00:00Z"))
        let events = (0..<3000).map { index in
            Simulation.Event.message(InboundMessage(
                provider: "twilio", messageId: "h\(index)", platform: .twilio, account: "+15550030001",
                contact: "+1555450\(String(format: "%04d", index % 1000))", text: "quote", at: start.addingTimeInterval(Double(index))), actual: nil)
        }
        let report = try await Simulation.run(config: config, events: events)
        #expect(report.events == 3000)
        // Every message is handled by someone: assigned first, then kept by its owner.
        #expect(report.simulated.values.reduce(0, +) == 3000)
        #expect(report.simulated["u_x"] == 667 * 3)
    }
}
