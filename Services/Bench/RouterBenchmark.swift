import Foundation
import SwitchboardCodec
import SwitchboardDirectory
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRouter
import SwitchboardRuntime

/// Routed decisions per second with the directory in the loop (each committed before its
/// answer), and decision latency at a steady 1,000 routes/s.
struct RouterBenchmark {
    let seconds: Double

    func run() async throws {
        let folder = try benchmarkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logger = Logger(service: "bench", minimumLevel: .error)
        func server(_ name: String) -> LineServer {
            LineServer(service: name, options: LineServerOptions(), logger: logger, metrics: MetricsRegistry())
        }
        let directory = try await DirectoryService(databasePath: folder.appendingPathComponent("directory.sqlite").path, logger: logger, metrics: MetricsRegistry())
        let directoryServer = server("directory")
        directory.register(on: directoryServer)
        let directoryPort = try directoryServer.listen()
        let notifierServer = server("notifier")
        notifierServer.register("notifier.enqueue") { (_: EmptyBody, _) in ["accepted": 1] }
        let notifierPort = try notifierServer.listen()
        let router = try await RouterService(
            databasePath: folder.appendingPathComponent("router.sqlite").path, directory: LineClient(host: "127.0.0.1", port: directoryPort),
            notifier: LineClient(host: "127.0.0.1", port: notifierPort), logger: logger, metrics: MetricsRegistry())
        let routerServer = server("router")
        router.register(on: routerServer)
        let routerPort = try routerServer.listen()
        router.start()

        let locations = 8
        let client = LineClient(host: "127.0.0.1", port: routerPort)
        let directoryClient = LineClient(host: "127.0.0.1", port: directoryPort)
        for location in 0..<locations {
            let users = (0..<10).map { "{\"id\": \"u\(location)_\($0)\", \"name\": \"U\($0)\"}" }.joined(separator: ",")
            let config = try WireJSON.decode(JSONValue.self, from: Array("""
                {"version": 1, "location": {"id": "loc\(location)", "name": "L", "timezone": "America/New_York", "admins": ["u\(location)_0"]},
                 "users": [\(users)],
                 "teams": [{"id": "t", "name": "T", "members": [\((0..<10).map { "\"u\(location)_\($0)\"" }.joined(separator: ","))]}],
                 "accounts": [{"id": "acc", "name": "A", "platform": "twilio", "address": "+1555777\(String(format: "%04d", location))",
                               "assignment": {"target": {"team": "t", "mode": "round_robin"}}}]}
                """.utf8))
            _ = try await directoryClient.call("directory.put_users", JSONValue.object(["location": .string("loc\(location)"), "timezone": .string("America/New_York"), "users": config["users"]!]), as: JSONValue.self)
            _ = try await directoryClient.call("directory.put_teams", JSONValue.object(["location": .string("loc\(location)"), "teams": config["teams"]!]), as: JSONValue.self)
            _ = try await client.call("router.put_config", JSONValue.object(["config": config]), as: JSONValue.self)
        }
        func message(_ index: Int) -> InboundMessage {
            InboundMessage(provider: "twilio", messageId: "b\(index)", platform: .twilio, account: "+1555777\(String(format: "%04d", index % locations))",
                           contact: "+1556\(String(format: "%07d", index))", text: "hi", at: Date())
        }
        let counter = Tally()
        let deadline = Date().addingTimeInterval(seconds)
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    var index = worker
                    while Date() < deadline {
                        // Encoded by hand and the answer not decoded: the client shares the cores.
                        _ = try await client.send("router.route", encodedBody: message(index).jsonBytes)
                        counter.add()
                        index += 64
                    }
                }
            }
            try await group.waitForAll()
        }
        report("router: decisions, directory in the loop, 64 in flight, \(locations) locations", Double(counter.value) / Date().timeIntervalSince(started), "decisions/s", target: 10000)

        var latencies: [Double] = []
        let count = Int(seconds * 1000)
        let begin = Date()
        for index in 0..<count {
            let due = begin.addingTimeInterval(Double(index) / 1000)
            if due > Date() { try await Task.sleep(for: .seconds(due.timeIntervalSinceNow)) }
            let sent = DispatchTime.now().uptimeNanoseconds
            _ = try await client.send("router.route", encodedBody: message(10_000_000 + index).jsonBytes)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
        }
        latencies.sort()
        print(String(format: "router: decision latency at up to 1,000/s (one at a time): p50 %.2f ms, p99 %.2f ms (target p99 ≤ 3 ms)",
                     latencies[latencies.count / 2], latencies[Int(Double(latencies.count) * 0.99)]))
        await routerServer.stop()
        await router.stop()
        await directoryServer.stop()
        directory.close()
        await notifierServer.stop()
    }
}
