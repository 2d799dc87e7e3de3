import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardRuntime
import SwitchboardStore

/// `switchboard-loadgen`: starts a mesh with a generated configuration (several locations, each
/// with a WhatsApp, an iMessage and a Twilio account routed by round robin, weighted pool and
/// least loaded, plus a rule), sends correctly signed webhooks for all three providers over N
/// keep-alive connections at a target rate (or as fast as possible), waits until everything is
/// decided and notified, and reports throughput, webhook-to-notification latency, CPU per
/// service and the raw per-hop limit of this machine.
public enum LoadGenerator {
    struct Options {
        var rate: Double = 0
        var seconds: Double = 5
        var connections = 16
        var locations = 4
        /// Router and adapters instances (docs/scaling.md); webhooks are spread over the adapters.
        var routers = 1
        var adapters = 1
        var json = false
        /// Keep the mesh's state folder (the four SQLite files, notifications) for inspection.
        var keepState = false
    }

    public static func main(_ arguments: [String]) async -> Int32 {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            switch name {
            case "--rate": options.rate = Double(value) ?? 0; index += 1
            case "--seconds": options.seconds = Double(value) ?? 5; index += 1
            case "--connections": options.connections = Int(value) ?? 16; index += 1
            case "--locations": options.locations = Int(value) ?? 4; index += 1
            case "--routers": options.routers = max(1, Int(value) ?? 1); index += 1
            case "--adapters": options.adapters = max(1, Int(value) ?? 1); index += 1
            case "--json": options.json = true
            case "--keep-state": options.keepState = true
            case "--help":
                print("usage: switchboard-loadgen [--rate MSGS_PER_S (0: as fast as possible)] [--seconds S] [--connections N] [--locations L] [--routers N] [--adapters N] [--json] [--keep-state]")
                return 0
            default:
                FileHandle.standardError.write(Data("switchboard-loadgen: unknown argument \(name)\n".utf8))
                return 64
            }
            index += 1
        }
        do {
            try await run(options)
            return 0
        } catch {
            if let signal = Mesh.terminatingSignal { return 128 + signal }
            FileHandle.standardError.write(Data("switchboard-loadgen: \(error)\n".utf8))
            return 1
        }
    }

    static func config(location: Int, notifications: String) -> String {
        let users = (0..<6).map { "{\"id\": \"u\(location)_\($0)\", \"name\": \"User \($0)\", \"notify\": [{\"channel\": \"file\", \"path\": \"\(notifications)\"}]}" }
        let ids = (0..<6).map { "\"u\(location)_\($0)\"" }.joined(separator: ",")
        return """
            {"version": 1, "location": {"id": "loc\(location)", "name": "Load \(location)", "timezone": "America/New_York", "admins": ["u\(location)_0"]},
             "users": [\(users.joined(separator: ","))],
             "teams": [{"id": "t", "name": "T", "lead": "u\(location)_0", "members": [\(ids)]}],
             "accounts": [
               {"id": "wa", "name": "WhatsApp", "platform": "whatsapp", "address": "+1555800\(String(format: "%04d", location))",
                "assignment": {"target": {"team": "t", "mode": "round_robin"}}},
               {"id": "im", "name": "iMessage", "platform": "imessage", "address": "+1555810\(String(format: "%04d", location))",
                "assignment": {"target": {"pool": ["u\(location)_1", "u\(location)_2"], "mode": "weighted", "weights": {"u\(location)_1": 3}}}},
               {"id": "tw", "name": "SMS", "platform": "twilio", "address": "+1555820\(String(format: "%04d", location))",
                "assignment": {"target": {"team": "t", "mode": "least_loaded"}}}],
             "rules": [{"id": "refunds", "priority": 1, "when": {"text": "refund"}, "then": {"target": {"user": "u\(location)_5"}}}]}
            """
    }

    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func run(_ options: Options) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-load-\(UUID().uuidString)").path
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        Mesh.stopServicesOnTermination()
        let mesh = try Mesh(binaries: binaries, stateFolder: state, testClock: false, layout: Mesh.Layout(routers: options.routers, adapters: options.adapters))
        if !options.keepState { mesh.removeOnTermination(state) }
        defer {
            mesh.stop()
            if options.keepState {
                print("state kept in \(state)")
            } else {
                try? FileManager.default.removeItem(atPath: state)
            }
        }
        var configured: [(platform: Platform, address: String)] = []
        for location in 0..<options.locations {
            let bytes = Array(config(location: location, notifications: state + "/notifications.jsonl").utf8)
            let (config, raw) = try ConfigApplier.load(bytes)
            try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routers.client(for: config.location.id))
            for account in config.accounts {
                configured.append((account.platform, account.address))
                let channel = AdapterChannelFactory.channel(for: account)
                for client in mesh.adaptersClients { _ = try await client.call("adapters.put_channel", ["channel": channel], as: JSONValue.self) }
            }
        }
        let accounts = configured
        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let processes = mesh.adaptersInstances + mesh.routerInstances + [mesh.directory, mesh.notifier]
        let cpuBefore = processes.map { cpuSeconds($0.pid) }
        let sentAt = SendLog()
        let started = Date()
        let deadline = started.addingTimeInterval(options.seconds)
        let interval = options.rate > 0 ? Double(options.connections) / options.rate : 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in 0..<options.connections {
                group.addTask {
                    try await onOwnThread {
                        var client = try KeepAliveHTTP(port: mesh.webhookPorts[connection % mesh.webhookPorts.count])
                        defer { client.close() }
                        var sequence = 0
                        while Date() < deadline {
                            // Staggered: connection k sends k/N of an interval after connection 0, so
                            // the mesh sees a steady rate rather than N webhooks at once.
                            let due = started.addingTimeInterval(interval * (Double(sequence) + Double(connection) / Double(options.connections)))
                            if interval > 0, due > Date() { usleep(useconds_t(max(0, due.timeIntervalSinceNow) * 1_000_000)) }
                            let account = accounts[(connection + sequence) % accounts.count]
                            let contact = "+1556\(String(format: "%03d", connection))\(String(format: "%04d", sequence))"
                            let request = factory.inbound(
                                platform: account.platform, from: contact, to: account.address, text: sequence % 10 == 0 ? "refund please" : "hello",
                                name: nil, id: "load-\(connection)-\(sequence)", source: nil, at: Date())
                            let now = Date()
                            if try client.post(request) == 200 { sentAt.record(contact, at: now) }
                            sequence += 1
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let sendSeconds = Date().timeIntervalSince(started)
        let sent = sentAt.entries
        let total = sent.count
        let drainDeadline = Date().addingTimeInterval(120)
        while true {
            if try await mesh.isDrained(deliveries: true) { break }
            guard Date() < drainDeadline else { throw CtlError("the mesh did not drain within 120 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let endToEndSeconds = Date().timeIntervalSince(started)
        let cpuAfter = processes.map { cpuSeconds($0.pid) }

        struct Item: Decodable { var item: OutboxItem; var createdAt: Date; var seq: Int }
        struct Items: Decodable { var items: [Item] }
        var latencies: [Double] = []
        var notified = Set<String>()
        var cursor = 0
        while true {
            let batch = try await mesh.notifierClient.call("notifier.items", ["after": cursor, "limit": 1000], as: Items.self, timeout: 60).items
            guard let last = batch.last else { break }
            cursor = last.seq
            for entry in batch {
                guard let notification = entry.item.notification, notification.kind == .assigned, let at = sent[notification.contact] else { continue }
                if notified.insert(notification.contact).inserted { latencies.append(entry.createdAt.timeIntervalSince(at) * 1000) }
            }
        }
        latencies.sort()
        func percentile(_ q: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        let lost = total - notified.count
        let raw = try rawPerHopLimit()
        let throughput = Double(total) / endToEndSeconds
        // Per service, every instance of it summed.
        var cpuByService: [(String, Double)] = []
        for (process, (before, after)) in zip(processes, zip(cpuBefore, cpuAfter)) {
            let seconds = (after - before) / Double(max(total, 1)) * 1000
            if let index = cpuByService.firstIndex(where: { $0.0 == process.name }) { cpuByService[index].1 += seconds } else { cpuByService.append((process.name, seconds)) }
        }
        let cpu = cpuByService
        if options.json {
            let summary: [String: JSONValue] = [
                "accepted": .number(Double(total)), "lost": .number(Double(lost)), "sendSeconds": .number(sendSeconds), "endToEndSeconds": .number(endToEndSeconds),
                "adaptersAcceptedPerSecond": .number(Double(total) / sendSeconds),
                "throughput": .number(throughput), "p50ms": .number(percentile(0.5)), "p99ms": .number(percentile(0.99)), "p999ms": .number(percentile(0.999)),
                "rawPerHop": .number(raw), "ratio": .number(throughput / raw),
                "cpuSecondsPer1000": .object(Dictionary(uniqueKeysWithValues: cpu.map { ($0.0, JSONValue.number($0.1)) })),
            ]
            print(String(decoding: try WireJSON.prettyEncoder.encode(JSONValue.object(summary)), as: UTF8.self))
        } else {
            let cpuText = cpu.map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: ", ")
            if options.routers > 1 || options.adapters > 1 { print("layout: \(options.adapters) adapters, \(options.routers) routers (partitioned by location)") }
            print(String(format: "loadgen: %d webhooks (%@), %d connections, %.1f s sending (adapters accepted %.0f/s), %.1f s to drain: %.0f msgs/s end to end, p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, lost=%d; CPU s per 1,000: %@; raw per-hop limit %.0f/s (ratio %.3f)",
                         total, options.rate > 0 ? "target \(Int(options.rate))/s" : "as fast as possible", options.connections, sendSeconds,
                         Double(total) / sendSeconds, endToEndSeconds,
                         throughput, percentile(0.5), percentile(0.99), percentile(0.999), lost, cpuText, raw, throughput / raw))
        }
    }

    /// One SQLite commit plus one JSON decode and encode of an inbound message, in a plain loop.
    static func rawPerHopLimit() throws -> Double {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-raw-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try Database(path: path)
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
        let message = InboundMessage(provider: "twilio", messageId: "SM1", platform: .twilio, account: "+15550000001", contact: "+15551230001", text: "hello", at: Date())
        let encoded = try WireJSON.encode(message)
        var count = 0
        let started = Date()
        while Date().timeIntervalSince(started) < 1 {
            let decoded = try WireJSON.decode(InboundMessage.self, from: encoded)
            let again = String(decoding: try WireJSON.encode(decoded), as: UTF8.self)
            try database.transaction { try database.run("INSERT INTO t (payload) VALUES (?)", [.text(again)]) }
            count += 1
        }
        return Double(count) / Date().timeIntervalSince(started)
    }
}


/// When each accepted webhook was sent, by contact; thread-safe.
final class SendLog: Sendable {
    private let storage = Mutex<[String: Date]>([:])

    func record(_ contact: String, at: Date) { storage.withLock { $0[contact] = at } }

    var entries: [String: Date] { storage.withLock { $0 } }
}
