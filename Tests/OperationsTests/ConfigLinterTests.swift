import Foundation
import Testing
@testable import SwitchboardOperations

/// One fixture per error and per warning of `CONFIG.md`, "Validation (lint and apply)": each
/// is the valid base configuration with one change, and must produce exactly its message.
@Suite struct ConfigLinterTests {
    static let base = """
        {"version": 1,
         "location": {"id": "loc", "name": "Loc", "timezone": "America/New_York", "admins": ["u_owner"],
                      "businessHours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]}},
         "users": [{"id": "u_owner", "name": "Owner"}, {"id": "u_a", "name": "A"}, {"id": "u_b", "name": "B"}],
         "teams": [{"id": "t_sales", "name": "Sales", "lead": "u_a", "members": ["u_a", "u_b"]}],
         "accounts": [{"id": "acc", "name": "Sales Line", "platform": "whatsapp", "address": "+15550001111",
                       "assignment": {"target": {"team": "t_sales", "mode": "round_robin"}, "afterHours": {"user": "u_owner"}}}],
         "tags": [{"tag": "vip", "assignment": {"target": {"user": "u_b"}}}],
         "rules": [{"id": "r1", "priority": 10, "when": {"accounts": ["acc"], "source": ["ad"]}, "then": {"target": {"user": "u_a"}}}]}
        """

    static func lint(_ change: (inout [String: Any]) -> Void) throws -> ConfigLinter.Report {
        var document = try JSONSerialization.jsonObject(with: Data(base.utf8)) as! [String: Any]
        change(&document)
        return ConfigLinter.lint(Array(try JSONSerialization.data(withJSONObject: document))).1
    }

    static func edit(_ document: inout [String: Any], _ key: String, _ index: Int, _ change: (inout [String: Any]) -> Void) {
        var list = document[key] as! [[String: Any]]
        change(&list[index])
        document[key] = list
    }

    @Test func theBaseConfigurationIsClean() throws {
        let report = try Self.lint { _ in }
        #expect(report.errors.isEmpty && report.warnings.isEmpty, "\(report)")
    }

    @Test func errorsNameTheOffendingPlace() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("unknown key \"colour\"", { $0["colour"] = "blue" }),
            ("field location.timezone has the wrong type", { document in var location = document["location"] as! [String: Any]; location["timezone"] = 5; document["location"] = location }),
            ("accounts[0].assignment.target.team: unknown team \"t_salse\"", { Self.edit(&$0, "accounts", 0) { $0["assignment"] = ["target": ["team": "t_salse", "mode": "round_robin"]] } }),
            ("users[2].id: duplicate id \"u_a\"", { Self.edit(&$0, "users", 2) { $0["id"] = "u_a" } }),
            ("accounts[1].address: accounts[0] has the same platform and address +15550001111", { document in
                var accounts = document["accounts"] as! [[String: Any]]
                accounts.append(["id": "acc2", "name": "Copy", "platform": "whatsapp", "address": "+15550001111"])
                document["accounts"] = accounts }),
            ("location.timezone: unknown time zone \"Mars/Olympus\"", { document in var location = document["location"] as! [String: Any]; location["timezone"] = "Mars/Olympus"; document["location"] = location }),
            ("location.businessHours: unknown weekday \"mun\"", { document in var location = document["location"] as! [String: Any]; location["businessHours"] = ["mun": ["09:00-17:00"]]; document["location"] = location }),
            ("users[1].schedule: invalid time range \"9-5\"", { Self.edit(&$0, "users", 1) { $0["schedule"] = ["mon": ["9-5"]] } }),
            ("rules[0].when.text: invalid regular expression \"([\"", { Self.edit(&$0, "rules", 0) { $0["when"] = ["text": "(["] } }),
            ("tags[0].assignment.target.previousOwner: only meaningful in a rule", { Self.edit(&$0, "tags", 0) { $0["assignment"] = ["target": ["previousOwner": true]] } }),
            ("rules[0].then.target.weights.u_owner: u_owner is not in the pool", { Self.edit(&$0, "rules", 0) {
                $0["then"] = ["target": ["pool": ["u_a", "u_b"], "mode": "weighted", "weights": ["u_owner": 2]]] } }),
        ]
        for (message, change) in cases {
            let report = try Self.lint(change)
            #expect(report.errors.contains { $0.contains(message) }, "expected \(message), got \(report.errors)")
        }
    }

    @Test func warningsLetTheFileApply() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("accounts[0].assignment.target: every user of this target is inactive or not assignable", { document in
                Self.edit(&document, "users", 1) { $0["active"] = false }
                Self.edit(&document, "users", 2) { $0["assignable"] = false } }),
            ("teams[1].members: team t_empty has no members", { document in
                var teams = document["teams"] as! [[String: Any]]
                teams.append(["id": "t_empty", "name": "Empty", "members": [String]()])
                document["teams"] = teams }),
            ("accounts[0].assignment: acc has no assignment", { Self.edit(&$0, "accounts", 0) { $0.removeValue(forKey: "assignment") } }),
            ("accounts[0].assignment.afterHours: the location has no business hours", { document in
                var location = document["location"] as! [String: Any]; location.removeValue(forKey: "businessHours"); document["location"] = location }),
            ("rules[1]: never fires, rule r1 comes first", { document in
                var rules = document["rules"] as! [[String: Any]]
                rules.append(["id": "r2", "priority": 20, "when": ["accounts": ["acc"], "source": ["ad"], "contact": "new"], "then": ["target": ["user": "u_b"]]])
                document["rules"] = rules }),
            ("rules[0].when.tagsAny: no account and no tag entry produces tag \"gold\"", { Self.edit(&$0, "rules", 0) {
                $0["when"] = ["tagsAny": ["gold"]] } }),
            ("users[1].schedule: u_a's shifts never overlap the location's business hours", { Self.edit(&$0, "users", 1) {
                $0["schedule"] = ["sat": ["09:00-17:00"]] } }),
            ("accounts[0].assignment.replyWithin: the location's multiTouch is separate", { document in
                var location = document["location"] as! [String: Any]; location["multiTouch"] = "separate"; document["location"] = location
                Self.edit(&document, "accounts", 0) { account in
                    var assignment = account["assignment"] as! [String: Any]; assignment["replyWithin"] = "15m"; account["assignment"] = assignment } }),
            ("tags[0].assignment.replyClock: the location has no business hours, so 1h of business time is 1h of wall time", { document in
                var location = document["location"] as! [String: Any]; location.removeValue(forKey: "businessHours"); document["location"] = location
                Self.edit(&document, "tags", 0) { $0["assignment"] = ["target": ["user": "u_b"], "replyWithin": "1h", "replyClock": "business"] } }),
            ("teams[1].assignQueued: no assignment queues contacts for t_idle", { document in
                var teams = document["teams"] as! [[String: Any]]
                teams.append(["id": "t_idle", "name": "Idle", "members": ["u_b"], "assignQueued": true])
                document["teams"] = teams }),
        ]
        for (message, change) in cases {
            let report = try Self.lint(change)
            #expect(report.errors.isEmpty, "\(message): unexpected errors \(report.errors)")
            #expect(report.warnings.contains { $0.contains(message) }, "expected \(message), got \(report.warnings)")
        }
    }
}

/// Lint's checks of required skills and region conditions (#23).
@Suite struct ConfigLinterSkillsAndRegionTests {
    @Test func aSkillNoUserHasIsAWarningAndABadCountryCodeAnError() throws {
        let skills = try ConfigLinterTests.lint { document in
            ConfigLinterTests.edit(&document, "accounts", 0) { account in
                var assignment = account["assignment"] as! [String: Any]
                assignment["requireSkills"] = ["klingon"]
                account["assignment"] = assignment
            }
        }
        #expect(skills.warnings.contains { $0.hasPrefix("accounts[0].assignment.requireSkills: no user has skill \"klingon\"") }, "\(skills.warnings)")
        let codes = try ConfigLinterTests.lint { document in
            document["rules"] = [["id": "geo", "when": ["countryCodes": ["34", "+5x"]], "then": ["target": ["user": "u_a"]]]]
        }
        #expect(codes.errors == ["rules[0].when.countryCodes: \"+5x\" is not a country calling code (e.g. \"34\" or \"+52\")"], "\(codes.errors)")
        let narrower = try ConfigLinterTests.lint { document in
            document["rules"] = [
                ["id": "spain", "priority": 1, "when": ["countryCodes": ["34"]], "then": ["target": ["user": "u_a"]]],
                ["id": "all", "priority": 2, "then": ["target": ["user": "u_b"]]],
            ]
        }
        #expect(!narrower.warnings.contains { $0.contains("never fires") }, "a country rule first does not hide a broader one: \(narrower.warnings)")
    }
}
