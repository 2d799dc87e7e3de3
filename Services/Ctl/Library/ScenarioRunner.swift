public import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations

/// `switchboardctl scenario run`: plays scenario files (`../shared/scenarios/README.md`)
/// against a fresh mesh each, through the real interfaces: signed webhooks for inbound messages
/// and replies, the line protocol for everything else.
public struct ScenarioRunner {
    let binaries: URL
    let echoLogs: Bool

    public init(binaries: URL, echoLogs: Bool = false) {
        self.binaries = binaries
        self.echoLogs = echoLogs
    }

    struct Scenario: Decodable {
        var name: String
        var config: JSONValue
        var steps: [JSONValue]
        enum CodingKeys: String, CodingKey { case name, config, steps }
    }

    /// Runs one file; returns nil when it passes, else the first failure.
    public func run(file: String) async throws -> (name: String, failure: String?) {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        let scenario = try WireJSON.decode(Scenario.self, from: bytes)
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-scenario-\(UUID().uuidString)").path
        Mesh.stopServicesOnTermination()
        let mesh = try Mesh(binaries: binaries, stateFolder: state, testClock: true, echo: echoLogs)
        mesh.removeOnTermination(state)
        defer {
            mesh.stop()
            try? FileManager.default.removeItem(atPath: state)
        }
        let (config, raw) = try ConfigApplier.load(Array(try WireJSON.encode(scenario.config)))
        try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
        for account in config.accounts {
            let channel = AdapterChannelFactory.channel(for: account)
            _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": channel], as: JSONValue.self)
        }
        var play = Playback(mesh: mesh, config: config, raw: raw, factory: WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1"))
        for (index, step) in scenario.steps.enumerated() {
            if let failure = try await play.step(step) {
                return (scenario.name, "step \(index + 1): \(failure)")
            }
        }
        return (scenario.name, nil)
    }
}

/// The state of one scenario's playback.
struct Playback {
    let mesh: Mesh
    var config: LocationConfig
    /// The configuration document as applied (``ConfigApplier/apply(_:raw:directory:router:)`` takes both).
    var raw: JSONValue = .null
    let factory: WebhookFactory
    var generated = 0
    /// The notifier's item cursor at the previous `expectNotifications`.
    var notificationCursor = 0

    var location: String { config.location.id }

    mutating func step(_ step: JSONValue) async throws -> String? {
        let at = step["at"]?.stringValue.flatMap(RFC3339.parse) ?? Date()
        if let inbound = step["inbound"] {
            generated += 1
            let named = inbound["platform"]?.stringValue ?? ""
            guard let platform = Platform(rawValue: named) else { return "unknown platform \"\(named)\"" }
            let id = inbound["id"]?.stringValue ?? (platform == .twilio ? "SM" : "wamid.") + "scenario\(generated)"
            let source = inbound["source"].map { MessageSource(type: $0["type"]?.stringValue ?? "", id: $0["id"]?.stringValue, campaign: $0["campaign"]?.stringValue) }
            let request = factory.inbound(
                platform: platform, from: inbound["from"]?.stringValue ?? "", to: inbound["to"]?.stringValue ?? "",
                text: inbound["text"]?.stringValue ?? "", name: inbound["name"]?.stringValue, id: id, source: source, at: at)
            let status = try await WebhookPoster.post(port: mesh.webhookPort, request)
            guard status == 200 else { return "the \(platform) webhook was answered \(status)" }
            return try await drained()
        }
        if let reply = step["reply"] {
            generated += 1
            let named = reply["platform"]?.stringValue ?? ""
            guard let platform = Platform(rawValue: named) else { return "unknown platform \"\(named)\"" }
            let request = factory.reply(platform: platform, from: reply["from"]?.stringValue ?? "",
                                        to: reply["to"]?.stringValue ?? "", id: "reply\(generated)", at: at)
            let status = try await WebhookPoster.post(port: mesh.webhookPort, request)
            guard status == 200 else { return "the reply webhook was answered \(status)" }
            return try await drained()
        }
        let atValue = JSONValue.string(RFC3339.format(at))
        if let tag = step["tag"] {
            return try await routerOp("router.tag", ["location": .string(location), "contact": tag["contact"] ?? .null, "tags": tag["tags"] ?? .array([]), "at": atValue])
        }
        if let assign = step["assign"] {
            return try await routerOp("router.assign", ["location": .string(location), "contact": assign["contact"] ?? .null, "user": assign["user"] ?? .null, "at": atValue])
        }
        for op in ["release", "unassign", "resolve"] {
            if let body = step[op] {
                return try await routerOp("router.\(op)", ["location": .string(location), "contact": body["contact"] ?? .null, "at": atValue])
            }
        }
        if let drain = step["drain"] {
            return try await routerOp("router.drain", ["location": .string(location), "user": drain["user"] ?? .null, "at": atValue])
        }
        if step["advance"] != nil {
            return try await routerOp("router.advance_clock", ["to": atValue])
        }
        if let service = step["restart"]?.stringValue {
            guard service == "router" else { return "only the router can be restarted, not \(service)" }
            try mesh.restartRouter()
            return try await drained()
        }
        if let applied = step["apply"] {
            (config, raw) = try ConfigApplier.load(Array(try WireJSON.encode(applied)))
            try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
            return try await drained()
        }
        if let change = step["directory"] {
            let answer = try await mesh.directoryClient.call(
                "directory.update_user", JSONValue.object(["id": change["user"] ?? .null, "set": change["set"] ?? .object([:])]), as: JSONValue.self)
            return try await routersHeard(directoryVersion: Int(answer["version"]?.doubleValue ?? 0))
        }
        if let expect = step["expect"] { return try await expectContact(expect) }
        if let expected = step["expectNotifications"]?.arrayValue { return try await expectNotifications(expected) }
        if case .object(let loads)? = step["expectLoad"] {
            struct Loads: Decodable { var loads: [String: Int] }
            let actual = try await mesh.routerClient.call("router.loads", ["location": location], as: Loads.self).loads
            for (user, value) in loads.sorted(by: { $0.key < $1.key }) where (actual[user] ?? 0) != Int(value.doubleValue ?? -1) {
                return "load of \(user): expected \(Int(value.doubleValue ?? -1)), got \(actual[user] ?? 0) (all loads: \(actual))"
            }
            return nil
        }
        if let inbox = step["expectInbox"] {
            let counts = try await mesh.adaptersClient.call("adapters.pending", EmptyBody(), as: [String: Int].self)
            if let rejected = inbox["rejected"]?.doubleValue, counts["rejected"] != Int(rejected) {
                return "rejected inbox events: expected \(Int(rejected)), got \(counts["rejected"] ?? 0)"
            }
            return nil
        }
        return "unknown step \(step)"
    }

    private func routerOp(_ op: String, _ body: [String: JSONValue]) async throws -> String? {
        do {
            _ = try await mesh.routerClient.call(op, JSONValue.object(body), as: JSONValue.self)
        } catch let error as WireError {
            return "\(op) failed: \(error)"
        }
        return try await drained()
    }

    /// Waits (bounded) until every router that watches the directory has heard of `version`:
    /// the directory's change notice reaches a router on its own connection, and the next step
    /// (an `advance`, a resolve) must be decided with the change.
    func routersHeard(directoryVersion version: Int, timeout: Double = 10) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var heard = true
            for (_, client) in mesh.routers.all {
                let pending = try await client.call("router.pending", EmptyBody(), as: [String: Int].self)
                if let seen = pending["directoryVersion"], seen < version { heard = false }
            }
            if heard { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
        return "the routers did not hear of directory version \(version) within \(Int(timeout))s"
    }

    /// Waits (bounded) until every adapters inbox and router outbox is drained (the notifier
    /// has committed what they handed it).
    func drained(timeout: Double = 20) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await mesh.isDrained() { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
        return "queues did not drain within \(Int(timeout))s"
    }

    private func expectContact(_ expect: JSONValue) async throws -> String? {
        let address = ContactAddress.normalize(expect["contact"]?.stringValue ?? "")
        struct History: Decodable { var reason: String; enum CodingKeys: String, CodingKey { case reason } }
        struct Found: Decodable { var contact: ContactState; var history: [History]; enum CodingKeys: String, CodingKey { case contact, history } }
        let found: Found
        do {
            found = try await mesh.routerClient.call("router.contact", ["location": location, "contact": address], as: Found.self)
        } catch let error as WireError where error.code == .notFound {
            return "contact \(address) is unknown to the router"
        }
        if let owner = expect["owner"], found.contact.owner != owner.stringValue {
            return "owner of \(address): expected \(owner.stringValue ?? "none"), got \(found.contact.owner ?? "none")"
        }
        if let reason = expect["reason"]?.stringValue, found.history.last?.reason != reason {
            return "reason for \(address): expected \(reason), got \(found.history.last?.reason ?? "none")"
        }
        if case .bool(let open)? = expect["open"], found.contact.open != open { return "open of \(address): expected \(open), got \(found.contact.open)" }
        if let thread = expect["thread"], let account = thread["account"]?.stringValue, found.contact.threads[account] != thread["assignee"]?.stringValue {
            return "thread \(account) of \(address): expected \(thread["assignee"]?.stringValue ?? "none"), got \(found.contact.threads[account] ?? "none")"
        }
        return nil
    }

    private mutating func expectNotifications(_ expected: [JSONValue]) async throws -> String? {
        struct Item: Decodable { var seq: Int; var item: OutboxItem; enum CodingKeys: String, CodingKey { case seq, item } }
        struct Items: Decodable { var items: [Item]; enum CodingKeys: String, CodingKey { case items } }
        let items = try await mesh.notifierClient.call("notifier.items", ["after": notificationCursor], as: Items.self).items
        if let last = items.last { notificationCursor = last.seq }
        func key(_ to: String, _ kind: String, _ contact: String) -> String { "\(kind)→\(to) (\(contact))" }
        let actual = items.compactMap { $0.item.notification.map { key($0.recipient, $0.kind.rawValue, $0.contact) } }.sorted()
        let wanted = expected.map { key($0["to"]?.stringValue ?? "", $0["kind"]?.stringValue ?? "", ContactAddress.normalize($0["contact"]?.stringValue ?? "")) }.sorted()
        return actual == wanted ? nil : "notifications: expected \(wanted), got \(actual)"
    }
}
