import Foundation
import SwitchboardCrypto
import Testing
import SwitchboardAdapters
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardTestSupport

/// The fault run: 2,000 signed webhooks at a steady rate while every service (router, notifier,
/// adapters, directory) is killed with SIGKILL once, at a random moment, and restarted. Every accepted webhook must end with
/// exactly one decision, and every notification must reach the `file` channel (deduplicated by
/// delivery id).
@Suite struct FaultRunTests {
    static let token = "fault-run-twilio-token-0123456789"

    final class Services: @unchecked Sendable {
        // @unchecked: mutated only by the test task that owns it.
        let folder: TemporaryDirectory
        let ports: [String: UInt16]
        var processes: [String: ChildProcess] = [:]

        init(folder: TemporaryDirectory, ports: [String: UInt16]) {
            self.folder = folder
            self.ports = ports
        }

        func arguments(_ name: String) -> [String] {
            let database = folder.file("\(name).sqlite")
            switch name {
            case "directory": return ["--listen", "127.0.0.1:\(ports["directory"]!)", "--database", database]
            case "notifier": return ["--listen", "127.0.0.1:\(ports["notifier"]!)", "--database", database, "--retry-initial", "0.05", "--retry-maximum", "0.5"]
            case "router":
                return ["--listen", "127.0.0.1:\(ports["router"]!)", "--database", database,
                        "--directory", "127.0.0.1:\(ports["directory"]!)", "--notifier", "127.0.0.1:\(ports["notifier"]!)"]
            default:
                return ["--listen", "127.0.0.1:\(ports["adapters"]!)", "--http", "127.0.0.1:\(ports["http"]!)", "--database", database,
                        "--router", "127.0.0.1:\(ports["router"]!)", "--public-base-url", "http://127.0.0.1"]
            }
        }

        func start(_ name: String) throws {
            let process = try ChildProcess("switchboard-\(name)", arguments(name), environment: [
                "SWITCHBOARD_TWILIO_AUTH_TOKEN": FaultRunTests.token, "SWITCHBOARD_WEBHOOK_SECRET": "fault-run-webhook-secret",
            ])
            _ = try process.listeningPort()
            processes[name] = process
        }

        func kill(_ name: String) throws {
            guard let process = processes[name] else { return }
            process.signal(SIGKILL)
            _ = try process.waitForExit()
        }

        func stopAll() {
            for process in processes.values { process.stop() }
        }
    }

    static func freePorts(_ count: Int) async throws -> [UInt16] {
        var servers: [LineServer] = []
        for _ in 0..<count {
            let server = LineServer(service: "probe", options: LineServerOptions(), logger: Logger(service: "probe", minimumLevel: .error), metrics: MetricsRegistry())
            _ = try server.listen()
            servers.append(server)
        }
        let ports = servers.map(\.port)
        for server in servers { await server.stop() }
        return ports
    }

    static func webhook(_ index: Int) -> [UInt8] {
        let parameters = [("MessageSid", "SMfault\(index)"), ("From", "+1555900\(String(format: "%04d", index))"), ("To", "+15550990001"), ("Body", "fault \(index)")]
            .map { (name: $0.0, value: $0.1) }
        let body = FormURLEncoding.encode(parameters)
        let signature = WebhookSigner.twilio(url: "http://127.0.0.1/webhooks/twilio", parameters: parameters, authToken: token)
        return Array("POST /webhooks/twilio HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Twilio-Signature: \(signature)\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    /// Posts until the adapters answer 200 (a provider keeps retrying what was not accepted).
    static func deliver(_ index: Int, port: UInt16) async throws {
        let accepted = try await eventually(timeout: 60, every: .milliseconds(20)) {
            guard let connection = try? await RawConnection(port: port, receiveTimeout: 5),
                  (try? await connection.send(webhook(index))) != nil else { return false }
            return (try? await connection.readHTTPResponse())?.status == 200
        }
        guard accepted else { throw TestFailure("webhook \(index) was never accepted") }
    }

    @Test(.timeLimit(.minutes(4)))
    func killingEachServiceLosesAndDoublesNothing() async throws {
        let folder = TemporaryDirectory()
        let free = try await Self.freePorts(5)
        let services = Services(folder: folder, ports: ["directory": free[0], "notifier": free[1], "router": free[2], "adapters": free[3], "http": free[4]])
        defer { services.stopAll() }
        for name in ["directory", "notifier", "router", "adapters"] { try services.start(name) }

        let notifications = folder.file("notifications.jsonl")
        let config = """
            {"version": 1, "location": {"id": "loc_fault", "name": "Fault", "timezone": "UTC", "admins": ["u_1"]},
             "users": [\((1...3).map { "{\"id\": \"u_\($0)\", \"name\": \"User \($0)\", \"notify\": [{\"channel\": \"file\", \"path\": \"\(notifications)\"}]}" }.joined(separator: ","))],
             "teams": [{"id": "t", "name": "T", "members": ["u_1", "u_2", "u_3"]}],
             "accounts": [{"id": "acc", "name": "Fault Line", "platform": "twilio", "address": "+15550990001",
                           "assignment": {"target": {"team": "t", "mode": "round_robin"}}}]}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder.file("config.json")))
        let apply = try ChildProcess("switchboardctl", ["apply", "-f", folder.file("config.json"),
                                                         "--directory", "127.0.0.1:\(free[0])", "--router", "127.0.0.1:\(free[2])"])
        #expect(try apply.waitForExit() == 0)

        let total = 2000
        let httpPort = free[4]
        let sender = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let start = Date()
                for index in 0..<total {
                    let due = start.addingTimeInterval(Double(index) / 250)
                    if due > Date() { try await Task.sleep(for: .seconds(due.timeIntervalSinceNow)) }
                    group.addTask { try await Self.deliver(index, port: httpPort) }
                }
                try await group.waitForAll()
            }
        }
        // Each service is killed once, at a random moment of the 8 s of sending, in random order.
        var generator = SeededGenerator.forTest(seed: 2026_12_06)
        let moments = ["router", "notifier", "adapters", "directory"].map { ($0, Double.random(in: 0.5..<7.5, using: &generator)) }.sorted { $0.1 < $1.1 }
        let begin = Date()
        for (name, at) in moments {
            let wait = at - Date().timeIntervalSince(begin)
            if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            try services.kill(name)
            try services.start(name)
        }
        print("fault run: killed \(moments.map { String(format: "%@ at %.1f s", $0.0, $0.1) }.joined(separator: ", "))")
        try await sender.value

        let router = LineClient(host: "127.0.0.1", port: free[2])
        let adapters = LineClient(host: "127.0.0.1", port: free[3])
        let notifier = LineClient(host: "127.0.0.1", port: free[1])
        var queues: [[String: Int]] = []
        let drained = try await eventually(timeout: 90, every: .milliseconds(50)) {
            queues = [
                try await adapters.callRetrying("adapters.pending", EmptyBody(), as: [String: Int].self),
                try await router.callRetrying("router.pending", EmptyBody(), as: [String: Int].self),
                try await notifier.callRetrying("notifier.pending", EmptyBody(), as: [String: Int].self),
            ]
            return queues[0]["pending"] == 0 && queues[1]["outbox"] == 0 && queues[2]["pending"] == 0
        }
        guard drained else { throw TestFailure("never drained: inbox, outbox, deliveries \(queues)") }
        struct Loads: Decodable { var loads: [String: Int] }
        let loads = try await router.call("router.loads", ["location": "loc_fault"], as: Loads.self).loads
        let decided = loads.values.reduce(0, +)
        #expect(decided == total)
        struct History: Decodable { var history: [JSONValue] }
        var doubled = 0
        for index in stride(from: 0, to: total, by: 7) {
            let contact = "+1555900\(String(format: "%04d", index))"
            let history = try await router.call("router.contact", ["location": "loc_fault", "contact": contact], as: History.self).history
            if history.count != 1 { doubled += 1 }
        }
        #expect(doubled == 0)
        let lines = try String(contentsOfFile: notifications, encoding: .utf8).split(separator: "\n")
        struct Line: Decodable { var deliveryId: String; var notification: UserNotification }
        var byDelivery: [String: UserNotification] = [:]
        for line in lines {
            let parsed = try WireJSON.decoder.decode(Line.self, from: Data(line.utf8))
            byDelivery[parsed.deliveryId] = parsed.notification
        }
        let contacts = Set(byDelivery.values.filter { $0.kind == .assigned }.map(\.contact))
        #expect(contacts.count == total)
        print("fault run: lost=\(total - decided) doubled=\(doubled) notifications=\(byDelivery.count) file lines=\(lines.count)")
    }
}
