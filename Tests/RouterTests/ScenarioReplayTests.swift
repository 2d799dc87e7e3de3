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

    static func scenarioFiles() throws -> [String] {
        let folder = SharedFiles.url("scenarios")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
    }

    struct Notified: Hashable, CustomStringConvertible {
        var to: String
        var kind: String
        var contact: String
        var description: String { "\(kind)→\(to) (\(contact))" }
    }

    /// Replays one scenario; returns the failures (empty when it passes).
    static func replay(_ file: String) throws -> [String] {
        let scenario = try WireJSON.decoder.decode(Scenario.self, from: try SharedFiles.data("scenarios/\(file)"))
        let world = try MemoryRoutingWorld(config: scenario.config)
        let engine = try RoutingEngine(config: scenario.config, world: world)
        var failures: [String] = []
        var notified: [Notified] = []
        var reasons: [String: String] = [:]
        var assignedAt: [String: Date] = [:]
        var seen = Set<String>()
        var rejected = 0
        var generated = 0

        func record(_ decision: Decision, at: Date) {
            world.commit(decision, at: at)
            reasons[decision.contact.address] = decision.reason
            if !decision.assigned.isEmpty { assignedAt[decision.contact.address] = at }
            notified += decision.notifications.map { Notified(to: $0.user, kind: $0.kind, contact: decision.contact.address) }
        }

        for (index, step) in scenario.steps.enumerated() {
            let at = step["at"]?.stringValue.flatMap(RFC3339.parse) ?? Date()
            let place = "step \(index + 1)"
            if let inbound = step["inbound"] {
                let platform = inbound["platform"]?.stringValue ?? ""
                let from = ContactAddress.normalize(inbound["from"]?.stringValue ?? "")
                let to = ContactAddress.normalize(inbound["to"]?.stringValue ?? "")
                generated += 1
                let id = inbound["id"]?.stringValue ?? "generated-\(generated)"
                guard seen.insert("\(platform):\(id)").inserted else { continue }
                guard let account = scenario.config.account(platform: platform, address: to) else {
                    rejected += 1
                    continue
                }
                let source = inbound["source"].map { MessageSource(type: $0["type"]?.stringValue ?? "", id: $0["id"]?.stringValue, campaign: $0["campaign"]?.stringValue) }
                let message = InboundMessage(
                    provider: platform, messageId: id, platform: platform, account: to, contact: from, contactName: inbound["name"]?.stringValue,
                    text: inbound["text"]?.stringValue ?? "", source: source, at: at)
                record(try engine.inbound(message, account: account, contact: world.contact(from)), at: at)
            } else if let tag = step["tag"] {
                let address = ContactAddress.normalize(tag["contact"]?.stringValue ?? "")
                guard let contact = world.contact(address) else { failures.append("\(place): unknown contact \(address)"); continue }
                let tags = (tag["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
                let (updated, decision) = try engine.tagged(tags, contact: contact, at: at)
                if let decision { record(decision, at: at) } else { world.save(updated) }
            } else if let assign = step["assign"] {
                let address = ContactAddress.normalize(assign["contact"]?.stringValue ?? "")
                guard let contact = world.contact(address) else { failures.append("\(place): unknown contact \(address)"); continue }
                record(try engine.assign(contact, to: assign["user"]?.stringValue ?? "", at: at), at: at)
            } else if let body = step["release"] ?? step["unassign"] ?? step["resolve"] {
                let address = ContactAddress.normalize(body["contact"]?.stringValue ?? "")
                guard var contact = world.contact(address) else { failures.append("\(place): unknown contact \(address)"); continue }
                if step["release"] != nil { contact.manual = false }
                if step["unassign"] != nil {
                    contact.owner = nil
                    contact.ownerAccount = nil
                    contact.threads = [:]
                    contact.manual = false
                }
                if step["resolve"] != nil { contact.open = false }
                world.save(contact)
            } else if let drain = step["drain"] {
                let user = drain["user"]?.stringValue ?? ""
                let owned = world.contacts.filter { $0.open && !$0.manual && ($0.owner == user || $0.threads.values.contains(user)) }
                    .sorted { (assignedAt[$0.address] ?? .distantPast) < (assignedAt[$1.address] ?? .distantPast) }
                for contact in owned {
                    record(try engine.drain(world.contact(contact.address) ?? contact, user: user, at: at), at: at)
                }
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

    @Test(arguments: try scenarioFiles())
    func scenarioDecisionsMatchRoutingMD(file: String) throws {
        let failures = try Self.replay(file)
        #expect(failures.isEmpty, "\(file):\n\(failures.joined(separator: "\n"))")
    }
}
