import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardTestSupport
import Testing

/// Skills an assignment requires, and rule conditions on the contact's country calling code and
/// declared language, over the real router and directory (#23, items 3 and 4).
@Suite(.serialized) struct SkillsAndRegionTests {
    static func config() throws -> JSONValue {
        try RouterServiceTests.scenarioConfig("02-round-robin-availability.json") { config in
            config["users"] = [
                ["id": "u_owner", "name": "Owner"], ["id": "u_a", "name": "A"], ["id": "u_b", "name": "B", "skills": ["Spanish"]],
                ["id": "u_c", "name": "C"], ["id": "u_es", "name": "Spain desk"], ["id": "u_pt", "name": "Portuguese desk"],
            ]
            var accounts = config["accounts"] as! [[String: Any]]
            accounts[0]["assignment"] = ["target": ["team": "t_sales", "mode": "round_robin"], "requireSkills": ["spanish"]]
            accounts.append(["id": "acc_intl", "name": "International", "platform": "twilio", "address": "+15550020009",
                             "assignment": ["target": ["user": "u_a"]]])
            config["accounts"] = accounts
            config["rules"] = [
                ["id": "spain", "priority": 1, "when": ["accounts": ["acc_intl"], "countryCodes": ["34"]], "then": ["target": ["user": "u_es"]]],
                ["id": "portuguese", "priority": 2, "when": ["accounts": ["acc_intl"], "languages": ["pt"]], "then": ["target": ["user": "u_pt"]]],
            ]
        }
    }

    @Test func onlyCandidatesWithTheRequiredSkillAreEligibleAndExplainSaysWhyNot() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config())
        for index in 1...3 {
            let answer = try await mesh.routerClient.call(
                "router.route", RouterServiceTests.message("+1555333000\(index)", to: "+15550020001", id: "s\(index)", at: "2026-11-30T15:0\(index):00Z"),
                as: RouterServiceTests.Answer.self)
            #expect(answer.owner == "u_b", "only B speaks Spanish (skills compare without case)")
        }
        struct Explained: Decodable { var sentences: [String] }
        let explained = try await mesh.routerClient.call("router.explain", ["location": "loc_s02", "contact": "+15553330001"], as: Explained.self)
        #expect(explained.sentences.contains { $0.contains("u_a: lacks skill spanish") }, "\(explained.sentences)")
    }

    @Test func countryCodeAndLanguageConditionsRouteTheContact() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, config: try Self.config())
        let spain = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+34612345678", to: "+15550020009", platform: .twilio, id: "r1", at: "2026-11-30T15:00:00Z"),
            as: RouterServiceTests.Answer.self)
        #expect(spain.owner == "u_es" && spain.reason == "rule")
        let usa = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+13475550000", to: "+15550020009", platform: .twilio, id: "r2", at: "2026-11-30T15:01:00Z"),
            as: RouterServiceTests.Answer.self)
        #expect(usa.owner == "u_a" && usa.reason == "account", "+1 347 is not +34")
        _ = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+13475550001", to: "+15550020009", platform: .twilio, id: "r3", at: "2026-11-30T15:02:00Z"),
            as: RouterServiceTests.Answer.self)
        _ = try await mesh.routerClient.call(
            "router.tag", JSONValue.object(["location": .string("loc_s02"), "contact": .string("+13475550001"), "tags": .array([.string("Lang:PT")])]),
            as: JSONValue.self)
        _ = try await mesh.routerClient.call("router.unassign", ["location": "loc_s02", "contact": "+13475550001"], as: JSONValue.self)
        let portuguese = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+13475550001", to: "+15550020009", platform: .twilio, id: "r4", at: "2026-11-30T15:03:00Z"),
            as: RouterServiceTests.Answer.self)
        #expect(portuguese.owner == "u_pt" && portuguese.reason == "rule", "a declared language tag routes the next fresh decision")
    }
}
