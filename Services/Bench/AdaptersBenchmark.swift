import Foundation
import SwitchboardCrypto
import Synchronization
import SwitchboardAdapters
import SwitchboardCtl
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardPOSIX
import SwitchboardRuntime

/// Signed Twilio webhooks accepted per second over keep-alive connections, each committed to the
/// inbox with FULL durability before its answer; and answer latency at a steady 1,000/s.
struct AdaptersBenchmark {
    let seconds: Double
    static let token = "0123456789abcdef0123456789abcdef"
    static let account = "+15125550100"

    func run() async throws {
        let folder = try benchmarkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logger = Logger(service: "bench", minimumLevel: .error)
        var configuration = AdaptersService.Configuration(databasePath: folder.appendingPathComponent("adapters.sqlite").path)
        configuration.publicBaseURL = "https://hooks.example.com"
        configuration.defaults.twilioAuthToken = Self.token
        let metrics = MetricsRegistry()
        // No router listens: events stay in the inbox, so only intake is measured.
        let service = try await AdaptersService(configuration: configuration, routers: RouterRing(single: LineClientOptions(host: "127.0.0.1", port: 9)), logger: logger, metrics: metrics)
        let http = HTTPServer(options: HTTPServer.Options(), logger: logger, metrics: metrics)
        service.register(on: http)
        let port = try http.listen()

        let connections = 32
        // Enough for 48,000 webhooks/s over the run, and no more: preparing them takes a while.
        let perConnection = max(1_000, Int(seconds * 1_500))
        // Signed and serialized before the clock starts: the figure is the server's work.
        let requests = (0..<connections).map { connection in
            (0..<perConnection).map {
                KeepAliveHTTP.serialize(Self.request(id: "SM\(connection)x\($0)", from: "+1555\(String(format: "%07d", $0 % 5000))"))
            }
        }
        let accepted = Tally()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in 0..<connections {
                let batch = requests[connection]
                group.addTask {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        do {
                            try WebhookDriver(port: port, requests: batch, deadline: deadline, accepted: accepted) { error in
                                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                            }.start()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        report("adapters: signed webhooks accepted, FULL durability, \(connections) keep-alive", Double(accepted.value) / Date().timeIntervalSince(started), "webhooks/s", target: 10000)

        let latencies = try await onOwnThread { () -> [Double] in
            var client = try KeepAliveHTTP(port: port)
            defer { client.close() }
            var samples: [Double] = []
            let count = Int(seconds * 1000)
            let begin = DispatchTime.now().uptimeNanoseconds
            // Signed before the clock starts, like the throughput run's: the figure is the server's.
            let requests = (0..<count).map {
                KeepAliveHTTP.serialize(Self.request(id: "SMlat\($0)", from: "+1555300\(String(format: "%04d", $0 % 9000))"))
            }
            for (index, request) in requests.enumerated() {
                let due = begin + UInt64(index) * 1_000_000
                // Sleeps rather than spins until the send is due: a spinning client would hold one
                // of the two cores the server needs.
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(useconds_t((due - now) / 1_000)) }
                let sent = DispatchTime.now().uptimeNanoseconds
                _ = try client.post(serialized: request)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
            }
            return samples.sorted()
        }
        let p50 = latencies[latencies.count / 2]
        let p99 = latencies[Int(Double(latencies.count) * 0.99)]
        print(String(format: "adapters: answer latency at 1,000/s: p50 %.2f ms, p99 %.2f ms (target p99 ≤ 3 ms: %@)", p50, p99, p99 <= 3 ? "met" : "NOT met"))
        await http.stop()
        await service.stop()
    }

    static func request(id: String, from: String) -> WebhookFactory.Request {
        let parameters = [("MessageSid", id), ("From", from), ("To", account), ("Body", "Hi, is the 3br on Elm St still available?"), ("NumMedia", "0")]
            .map { (name: $0.0, value: $0.1) }
        let signature = WebhookSigner.twilio(url: "https://hooks.example.com/webhooks/twilio", parameters: parameters, authToken: token)
        return WebhookFactory.Request(
            path: "/webhooks/twilio", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
            body: Array(FormURLEncoding.encode(parameters).utf8))
    }
}

final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
