import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRouter

/// Rules of `ROUTING.md` the scenarios do not pin down on their own.
@Suite struct RoutingEngineTests {
    static func config(_ json: String) throws -> LocationConfig {
        try WireJSON.decoder.decode(LocationConfig.self, from: Data(json.utf8))
    }

    static func message(_ from: String, to: String = "+15550000001", at: String, text: String = "hi", platform: Platform = .twilio) -> InboundMessage {
        InboundMessage(provider: platform.rawValue, messageId: UUID().uuidString, platform: platform, account: to, contact: from, text: text, at: RFC3339.parse(at)!)
    }

    static func route(_ engine: RoutingEngine, _ world: MemoryRoutingWorld, _ message: InboundMessage) throws -> Decision {
        let account = engine.config.account(platform: message.platform, address: message.account)!
        let decision = try engine.inbound(message, account: account, contact: world.contact(message.contact))
        world.commit(decision, at: message.at)
        return decision
    }

    @Test(arguments: [[3, 1], [2, 5, 1], [1, 1, 1, 1], [7, 3]])
    func weightedPicksGiveEachMemberExactlyItsWeightInAnyWindowOfW(weights: [Int]) throws {
        let users = weights.indices.map { "u_\($0)" }
        let weightMap = Dictionary(uniqueKeysWithValues: zip(users, weights)).map { "\"\($0.key)\": \($0.value)" }.joined(separator: ",")
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC"},
             "users": [\(users.map { "{\"id\": \"\($0)\", \"name\": \"\($0)\"}" }.joined(separator: ","))],
             "accounts": [{"id": "acc", "name": "A", "platform": "twilio", "address": "+15550000001",
               "assignment": {"target": {"pool": [\(users.map { "\"\($0)\"" }.joined(separator: ","))], "mode": "weighted", "weights": {\(weightMap)}}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        let total = weights.reduce(0, +)
        var picks: [String] = []
        for index in 0..<(total * 3) {
            let decision = try Self.route(engine, world, Self.message("+1555100\(String(format: "%04d", index))", at: "2026-11-30T15:00:00Z"))
            picks.append(try #require(decision.user))
        }
        for start in 0...(picks.count - total) {
            let window = picks[start..<(start + total)]
            for (user, weight) in zip(users, weights) {
                #expect(window.filter { $0 == user }.count == weight, "window at \(start): \(window)")
            }
        }
    }

    @Test func leastLoadedBreaksTiesByRecencyThenMemberOrder() throws {
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC"},
             "users": [{"id": "u_a", "name": "A"}, {"id": "u_b", "name": "B"}, {"id": "u_c", "name": "C"}],
             "teams": [{"id": "t", "name": "T", "members": ["u_a", "u_b", "u_c"]}],
             "accounts": [{"id": "acc", "name": "A", "platform": "twilio", "address": "+15550000001",
               "assignment": {"target": {"team": "t", "mode": "least_loaded"}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        var owners: [String] = []
        for index in 0..<3 {
            owners.append(try #require(try Self.route(engine, world, Self.message("+155500000\(index)0", at: "2026-11-30T15:0\(index):00Z")).user))
        }
        #expect(owners == ["u_a", "u_b", "u_c"])
        // Everyone has one open contact; u_b's is resolved, so u_b is least loaded.
        try world.handle(.resolved, contact: "+155500000" + "10", at: try #require(RFC3339.parse("2026-11-30T15:04:00Z")), engine: engine)
        #expect(try Self.route(engine, world, Self.message("+15550000040", at: "2026-11-30T15:05:00Z")).user == "u_b")
        // Loads now equal (1 each): the least recently assigned (u_a, then u_c) goes first.
        #expect(try Self.route(engine, world, Self.message("+15550000050", at: "2026-11-30T15:06:00Z")).user == "u_a")
        #expect(try Self.route(engine, world, Self.message("+15550000060", at: "2026-11-30T15:07:00Z")).user == "u_c")
    }

    @Test(arguments: [
        ("2027-03-12T13:59:00Z", "after_hours"), ("2027-03-12T14:00:00Z", "account"),
        ("2027-03-15T12:59:00Z", "after_hours"), ("2027-03-15T13:00:00Z", "account"), ("2027-03-15T20:59:00Z", "account"), ("2027-03-15T21:00:00Z", "after_hours"),
        ("2027-11-05T12:59:00Z", "after_hours"), ("2027-11-05T13:00:00Z", "account"),
        ("2027-11-08T13:59:00Z", "after_hours"), ("2027-11-08T14:00:00Z", "account"),
    ])
    func newYorkBusinessHoursHoldAcrossThe2027DaylightSavingChanges(at: String, reason: String) throws {
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "America/New_York",
               "businessHours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]}},
             "users": [{"id": "u_day", "name": "Day"}, {"id": "u_night", "name": "Night"}],
             "accounts": [{"id": "acc", "name": "A", "platform": "twilio", "address": "+15550000001",
               "assignment": {"target": {"user": "u_day"}, "afterHours": {"user": "u_night"}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        let decision = try Self.route(engine, world, Self.message("+15550001111", at: at))
        #expect(decision.reason.rawValue == reason)
        #expect(decision.user == (reason == "account" ? "u_day" : "u_night"))
    }

    @Test func reasonPrecedenceIsFreshThenBackupThenAfterHoursThenSource() throws {
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC", "businessHours": {"mon": ["09:00-17:00"]}, "multiTouch": "unified"},
             "users": [{"id": "u_a", "name": "A", "away": true}, {"id": "u_b", "name": "B"}, {"id": "u_c", "name": "C"}],
             "accounts": [
               {"id": "acc1", "name": "One", "platform": "twilio", "address": "+15550000001",
                "assignment": {"target": {"user": "u_c"}, "afterHours": {"user": "u_a"}, "backup": [{"user": "u_b"}]}},
               {"id": "acc2", "name": "Two", "platform": "twilio", "address": "+15550000002", "assignment": {"target": {"user": "u_c"}}}],
             "rules": [{"id": "r", "priority": 1, "when": {"text": "rule"}, "then": {"target": {"user": "u_c"}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        // Sunday: after hours, the after-hours user is away, the backup takes it: backup beats after_hours.
        let backup = try Self.route(engine, world, Self.message("+15551000001", at: "2026-11-29T12:00:00Z"))
        #expect(backup.user == "u_b" && backup.reason == .backup)
        // A rule decides: reason rule.
        let rule = try Self.route(engine, world, Self.message("+15551000002", at: "2026-11-30T10:00:00Z", text: "this is a rule"))
        #expect(rule.user == "u_c" && rule.reason == .rule && rule.rule == "r")
        // The owner u_b becomes away: unified decides afresh: owner_unavailable beats the source.
        try world.updateUser("u_b") { $0.away = true }
        let moved = try Self.route(engine, world, Self.message("+15551000001", to: "+15550000002", at: "2026-11-30T10:05:00Z"))
        #expect(moved.user == "u_c" && moved.reason == .ownerUnavailable)
    }

    @Test func previousOwnerRuleFindsTheLastOwnerIncludingTheCurrentOne() throws {
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC", "multiTouch": "context"},
             "users": [{"id": "u_a", "name": "A"}, {"id": "u_b", "name": "B"}],
             "accounts": [
               {"id": "acc1", "name": "One", "platform": "twilio", "address": "+15550000001", "assignment": {"target": {"user": "u_a"}}},
               {"id": "acc2", "name": "Two", "platform": "twilio", "address": "+15550000002", "assignment": {"target": {"user": "u_b"}}}],
             "rules": [{"id": "back", "priority": 1, "when": {"accounts": ["acc2"], "contact": "existing"}, "then": {"target": {"previousOwner": true}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        let first = try Self.route(engine, world, Self.message("+15552000001", at: "2026-11-30T10:00:00Z"))
        #expect(first.user == "u_a")
        // Context switch to acc2: the rule sends the contact back to its previous owner (the current
        // one); the reason says a fresh decision was made (ROUTING.md step 7).
        let second = try Self.route(engine, world, Self.message("+15552000001", to: "+15550000002", at: "2026-11-30T10:01:00Z"))
        #expect(second.user == "u_a" && second.reason == .contextSwitch)
        #expect(second.trace.rules.first?.contains("every condition holds") == true)
    }

    @Test func explanationsNameEveryCandidateAndWhy() throws {
        let config = try Self.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "America/New_York"},
             "users": [{"id": "u_bob", "name": "Bob", "timezone": "America/Los_Angeles", "schedule": {"mon": ["08:00-16:00"]}},
                       {"id": "u_carol", "name": "Carol", "maxOpen": 0}, {"id": "u_dan", "name": "Dan"}],
             "teams": [{"id": "t", "name": "T", "members": ["u_bob", "u_carol", "u_dan"]}],
             "accounts": [{"id": "acc", "name": "A", "platform": "twilio", "address": "+15550000001",
               "assignment": {"target": {"team": "t", "mode": "round_robin"}}}]}
            """)
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        let decision = try Self.route(engine, world, Self.message("+15553000001", at: "2026-12-01T02:40:00Z"))
        #expect(decision.user == "u_dan")
        let text = decision.trace.sentences.joined(separator: "\n")
        #expect(text.contains("u_bob: off shift (18:40 in America/Los_Angeles)"))
        #expect(text.contains("u_carol: at capacity 0/0"))
        #expect(text.contains("Round robin: after no one (first pick), the next eligible member is u_dan."))
    }
}
