import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import Testing
@testable import SwitchboardConsole

@Suite struct AssignmentFormTests {
    @Test func everyTargetFormSurvivesTheFormAndBack() throws {
        let assignments = [
            Assignment(target: .user("u_a"), afterHours: .user("u_b"), backup: [.team("t_s", .lead), .queue("t_s")], requireOnShift: false),
            Assignment(target: .team("t_s", .leastLoaded)),
            Assignment(target: .pool(["u_a", "u_b"], .weighted, weights: ["u_a": 3, "u_b": 1])),
            Assignment(target: .none),
            Assignment(target: .team("t_s", .roundRobin), requireSkills: ["spanish", "vip"]),
            Assignment(target: .team("t_s", .roundRobin), replyWithin: ReplyWindow("1h30m"), replyClock: .business, maxReassignments: 0),
        ]
        for assignment in assignments {
            let form = AssignmentForm(assignment)
            var fields: [(name: String, value: String)] = [("target", form.target), ("pool_mode", form.poolMode), ("after_hours", form.afterHours)]
            fields += form.poolMembers.map { ("pool_member", $0) } + form.weights.map { ("weight_\($0.key)", $0.value) }
            fields += form.backups.enumerated().map { ("backup_\($0.offset + 1)", $0.element) }
            if form.requireOnShift { fields.append(("require_on_shift", "on")) }
            fields.append(("require_skills", form.requireSkills))
            fields += [("reply_within", form.replyWithin), ("reply_clock", form.replyClock), ("max_reassignments", form.maxReassignments)]
            let json = try #require(try AssignmentForm(form: fields).json())
            #expect(try WireJSON.decode(Assignment.self, from: try WireJSON.encode(json)) == assignment)
        }
    }

    @Test func noTargetMeansNoAssignmentAndAnUnknownFieldIsRefusedByName() throws {
        #expect(try AssignmentForm(form: [("target", ""), ("csrf", "x")]).json() == nil)
        #expect(throws: ConsoleError.self) { try AssignmentForm(form: [("target", "user:u_a"), ("targett", "x")]) }
        #expect(throws: ConsoleError.self) { try AssignmentForm(form: [("backup_9", "user:u_a")]) }
        #expect(throws: ConsoleError.self) { try AssignmentForm(form: [("target", "robot:u_a")]).json() }
        #expect(throws: ConsoleError.self) { try AssignmentForm(form: [("target", "user:u_a"), ("reply_within", "soon")]).json() }
        #expect(throws: ConsoleError.self) { try AssignmentForm(form: [("target", "user:u_a"), ("reply_within", "5m"), ("max_reassignments", "99")]).json() }
        #expect(throws: ConsoleError.self) {
            try AssignmentForm(form: [("target", "pool"), ("pool_mode", "weighted"), ("pool_member", "u_a"), ("weight_u_a", "lots")]).json()
        }
    }

    @Test func aBackupChainEndsAtItsFirstEmptySlot() throws {
        let json = try #require(try AssignmentForm(form: [("target", "none"), ("backup_1", "user:u_a"), ("backup_2", ""), ("backup_3", "user:u_b")]).json())
        #expect(try WireJSON.decode(Assignment.self, from: try WireJSON.encode(json)).backup == [.user("u_a")])
    }
}

@Suite struct RouteTableTests {
    @Test func starsCaptureSegmentsAndOtherMethodsAre405() async throws {
        var table = RouteTable()
        table.add("GET", "locations/*/contacts/*") { captured in .text(200, captured.joined(separator: "|")) }
        table.add("POST", "locations/*/contacts/*/assign") { _ in .text(200, "assign") }
        let found = try await table.dispatch("GET", ["locations", "loc", "contacts", "+1555"])
        #expect(String(decoding: found.body, as: UTF8.self) == "loc|+1555")
        await #expect(throws: ConsoleError.self) { try await table.dispatch("DELETE", ["locations", "loc", "contacts", "+1555"]) }
        do {
            _ = try await table.dispatch("GET", ["locations", "loc", "contacts", "+1555", "assign"])
            Issue.record("GET on a POST-only path is refused")
        } catch let error as ConsoleError {
            #expect(error.status == 405)
        }
        do {
            _ = try await table.dispatch("GET", ["locations", "loc"])
            Issue.record("an unknown path is refused")
        } catch let error as ConsoleError {
            #expect(error.status == 404)
        }
    }
}

@Suite struct ConsoleErrorTests {
    @Test func lintAndDecodingMessagesNameTheirField() {
        #expect(ConsoleError.Problem(lintMessage: "accounts[0].assignment.target.team: unknown team \"t_x\"").field == "accounts[0].assignment.target.team")
        #expect(ConsoleError.Problem(lintMessage: "missing field users[2].id").field == "users[2].id")
        #expect(ConsoleError.Problem(lintMessage: "field accounts[1].platform is invalid: unknown platform").field == "accounts[1].platform")
        #expect(ConsoleError.Problem(lintMessage: "not valid JSON").field == nil)
    }
}
