import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardNotifier
import SwitchboardPOSIX
import SwitchboardRuntime

/// `notifier.enqueue` items committed per second (batches of 100) and deliveries per second to a
/// local webhook receiver.
struct NotifierBenchmark {
    let seconds: Double

    func run() async throws {
        let folder = try benchmarkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logger = Logger(service: "bench", minimumLevel: .error)

        let receiver = HTTPServer(options: HTTPServer.Options(), logger: logger, metrics: MetricsRegistry())
        receiver.route("POST", "/hook") { _ in HTTPResponse(status: 200) }
        let receiverPort = try receiver.listen()

        var configuration = NotifierService.Configuration(databasePath: folder.appendingPathComponent("notifier.sqlite").path)
        configuration.webhookSecret = "bench-secret"
        configuration.concurrency = 256
        let metrics = MetricsRegistry()
        // No CRM in this benchmark: the router client is never called.
        configuration.userSyncInterval = 0
        let service = try NotifierService(
            configuration: configuration, routers: RouterRing(single: LineClientOptions(host: "127.0.0.1", port: 1)), directory: LineClient(host: "127.0.0.1", port: 1), logger: logger, metrics: metrics)
        let server = LineServer(service: "notifier", options: LineServerOptions(), logger: logger, metrics: metrics)
        service.register(on: server)
        let port = try server.listen()
        let client = LineClient(host: "127.0.0.1", port: port)

        let channel = [NotifyChannel(channel: .webhook, url: "http://127.0.0.1:\(receiverPort)/hook")]
        func item(_ id: String) -> OutboxItem {
            OutboxItem(id: id, notification: UserNotification(
                recipient: "u_alice", channels: channel, kind: .assigned, location: "loc_bench", contact: "+15551230001",
                account: "+15550001111", at: Date(), summary: "bench"))
        }
        var enqueued = 0
        let intakeStart = Date()
        let deadline = intakeStart.addingTimeInterval(seconds)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var done = 0
                    var batch = 0
                    while Date() < deadline {
                        let items = (0..<100).map { item("w\(worker)-b\(batch)-\($0)") }
                        _ = try await client.call("notifier.enqueue", EnqueueRequest(items: items), as: EnqueueResponse.self)
                        done += 100
                        batch += 1
                    }
                    return done
                }
            }
            enqueued = try await group.reduce(0, +)
        }
        report("notifier.enqueue, batches of 100, 4 in flight", Double(enqueued) / Date().timeIntervalSince(intakeStart), "items/s", target: 20000)

        let deliveryStart = Date()
        service.start()
        var delivered = 0
        while Date().timeIntervalSince(deliveryStart) < seconds {
            try await Task.sleep(for: .milliseconds(100))
            delivered = try await client.call("notifier.pending", EmptyBody(), as: [String: Int].self)["delivered"] ?? 0
            if delivered >= enqueued { break }
        }
        report("deliveries to a local webhook receiver", Double(delivered) / Date().timeIntervalSince(deliveryStart), "deliveries/s", target: 2000)
        client.close()
        await server.stop()
        await service.stop()
        let baseline = try await urlSessionAlone(port: receiverPort, concurrency: 64)
        report("  baseline: its HTTPPoster alone, 64 POSTs at once", baseline, "requests/s")
        await receiver.stop()
    }

    /// POSTs per second through the notifier's own `HTTPPoster` (one `URLSession`, configured as
    /// the deliveries use it) with nothing else in the process working: the ceiling the delivery
    /// figure is measured against.
    private func urlSessionAlone(port: UInt16, concurrency: Int) async throws -> Double {
        let poster = HTTPPoster(timeout: 10)
        let url = URL(string: "http://127.0.0.1:\(port)/hook")!
        let body = Data(repeating: 0x61, count: 400)
        let counter = Tally()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while Date() < deadline {
                        guard case .answered(200, _, _) = await poster.send("POST", url, headers: [:], body: body) else {
                            throw SystemError(operation: "baseline POST", code: 5)
                        }
                        counter.add()
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(counter.value) / Date().timeIntervalSince(started)
    }
}
