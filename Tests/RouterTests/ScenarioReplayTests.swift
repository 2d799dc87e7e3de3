import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRouter
import SwitchboardTestSupport

/// Replays every scenario of `../shared/scenarios` through the pure routing core with an
/// in-memory world: the decisions, reasons, notifications and loads `ROUTING.md` requires,
/// without the network (the end-to-end harness replays them through the real services).
@Suite struct ScenarioReplayTests {
    struct Scenario: Decodable {
        var name: String
        var config: LocationConfig
        var steps: [JSONValue]
        enum CodingKeys: String, CodingKey { case name, config, steps }
    }


    struct Notified: Hashable, CustomStringConvertible {
        var to: String
        var kind: String
        var contact: String
        var description: String { "\(kind)→\(to) (\(contact))" }
    }

    /// Replays one scenario; returns the failures (empty when it passes).
    static func replay(_ file: String) throws -> [String] {
        let scenario = try WireJSON.decoder.decode(Scenario.self, from: try Data(contentsOf: URL(fileURLWithPath: file)))
        let world = try MemoryRoutingWorld(config: scenario.config)
        var engine = try RoutingEngine(config: scenario.config, world: world)
        var failures: [String] = []
        var notified: [Notified] = []
        var reasons: [String: String] = [:]
        var seen = Set<String>()
        var rejected = 0
        var generated = 0

        /// Notes what a decision the world has committed says.
        func record(_ decision: Decision) {
            if decision.recorded { reasons[decision.contact.address] = decision.reason.rawValue }
            notified += decision.notifications.map { Notified(to: $0.user, kind: $0.kind.rawValue, contact: decision.contact.address) }
        }

        for (index, step) in scenario.steps.enumerated() {
            let at = step["at"]?.stringValue.flatMap(RFC3339.parse) ?? Date()
            let place = "step \(index + 1)"
            if let inbound = step["inbound"] {
                let named = inbound["platform"]?.stringValue ?? ""
                let from = ContactAddress.normalize(inbound["from"]?.stringValue ?? "")
                let to = ContactAddress.normalize(inbound["to"]?.stringValue ?? "")
                generated += 1
                let id = inbound["id"]?.stringValue ?? "generated-\(generated)"
                guard seen.insert("\(named):\(id)").inserted else { continue }
                guard let platform = Platform(rawValue: named), let account = scenario.config.account(platform: platform, address: to) else {
                    rejected += 1
                    continue
                }
                let source = inbound["source"].map { MessageSource(type: $0["type"]?.stringValue ?? "", id: $0["id"]?.stringValue, campaign: $0["campaign"]?.stringValue) }
                let message = InboundMessage(
                    provider: named, messageId: id, platform: platform, account: to, contact: from, contactName: inbound["name"]?.stringValue,
                    text: inbound["text"]?.stringValue ?? "", source: source, at: at)
                try world.handle(.inbound(message, account: account), contact: from, at: at, engine: engine).forEach(record)
            } else if let (name, body) = [("tag", step["tag"]), ("assign", step["assign"]), ("release", step["release"]), ("unassign", step["unassign"]),
                                          ("resolve", step["resolve"])].first(where: { $0.1 != nil }), let body {
                let address = ContactAddress.normalize(body["contact"]?.stringValue ?? "")
                guard world.contact(address) != nil else { failures.append("\(place): unknown contact \(address)"); continue }
                let event: ContactEvent = switch name {
                case "tag": .tagged((body["tags"]?.arrayValue ?? []).compactMap(\.stringValue))
                case "assign": .assigned(user: body["user"]?.stringValue ?? "")
                case "release": .released
                case "unassign": .unassigned
                default: .resolved
                }
                try world.handle(event, contact: address, at: at, engine: engine).forEach(record)
            } else if let reply = step["reply"] {
                let address = ContactAddress.normalize(reply["to"]?.stringValue ?? "")
                if world.contact(address) != nil { try world.handle(.replied, contact: address, at: at, engine: engine).forEach(record) }
            } else if step["advance"] != nil {
                try world.advance(to: at, engine: engine).forEach(record)
            } else if step["restart"] != nil {
                continue  // The in-memory world has nothing to lose; the mesh's router restarts on its file.
            } else if let applied = step["apply"] {
                let config = try WireJSON.decode(LocationConfig.self, from: Array(try WireJSON.encode(applied)))
                try world.reconfigure(config)
                engine = try RoutingEngine(config: config, world: world)
            } else if let drain = step["drain"] {
                try world.handle(.drained(user: drain["user"]?.stringValue ?? ""), contact: nil, at: at, engine: engine).forEach(record)
            } else if let change = step["directory"] {
                let set = change["set"]
                try world.updateUser(change["user"]?.stringValue ?? "") { user in
                    if case .bool(let value) = set?["active"] { user.active = value }
                    if case .bool(let value) = set?["away"] { user.away = value }
                    if case .bool(let value) = set?["assignable"] { user.assignable = value }
                    if case .number(let value) = set?["maxOpen"] { user.maxOpen = Int(value) }
                }
            } else if let expect = step["expect"] {
                let address = ContactAddress.normalize(expect["contact"]?.stringValue ?? "")
                let contact = world.contact(address)
                if let owner = expect["owner"] {
                    let wanted = owner.stringValue
                    if contact?.owner != wanted { failures.append("\(place): owner of \(address): expected \(wanted ?? "none"), got \(contact?.owner ?? "none")") }
                }
                if let reason = expect["reason"]?.stringValue, reasons[address] != reason {
                    failures.append("\(place): reason for \(address): expected \(reason), got \(reasons[address] ?? "none")")
                }
                if case .bool(let open) = expect["open"], contact?.open != open { failures.append("\(place): open of \(address): expected \(open)") }
                if let thread = expect["thread"], let accountID = thread["account"]?.stringValue {
                    let assignee = contact?.threads[accountID]
                    if assignee != thread["assignee"]?.stringValue {
                        failures.append("\(place): thread \(accountID) of \(address): expected \(thread["assignee"]?.stringValue ?? "none"), got \(assignee ?? "none")")
                    }
                }
            } else if case .array(let expected)? = step["expectNotifications"] {
                let wanted = expected.map { Notified(to: $0["to"]?.stringValue ?? "", kind: $0["kind"]?.stringValue ?? "", contact: ContactAddress.normalize($0["contact"]?.stringValue ?? "")) }
                if wanted.sorted(by: { $0.description < $1.description }) != notified.sorted(by: { $0.description < $1.description }) {
                    failures.append("\(place): notifications: expected \(wanted), got \(notified)")
                }
                notified = []
            } else if case .object(let loads)? = step["expectLoad"] {
                let actual = try world.loads(location: scenario.config.location.id, users: Array(loads.keys), threads: scenario.config.location.multiTouch == .separate)
                for (user, value) in loads where Double(actual[user] ?? 0) != value.doubleValue {
                    failures.append("\(place): load of \(user): expected \(Int(value.doubleValue ?? -1)), got \(actual[user] ?? 0)")
                }
            } else if let inbox = step["expectInbox"] {
                if let wanted = inbox["rejected"]?.doubleValue, Int(wanted) != rejected {
                    failures.append("\(place): rejected: expected \(Int(wanted)), got \(rejected)")
                }
            } else {
                failures.append("\(place): unknown step \(step)")
            }
        }
        return failures
    }

    @Test(arguments: try SharedFiles.scenarioFiles())
    func scenarioDecisionsMatchRoutingMD(file: String) throws {
        let failures = try Self.replay(file)
        #expect(failures.isEmpty, "\(file):\n\(failures.joined(separator: "\n"))")
    }
}
