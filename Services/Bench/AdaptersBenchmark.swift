import Foundation
import Synchronization
import SwitchboardAdapters
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
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let logger = Logger(service: "bench", minimumLevel: .error)
        var configuration = AdaptersService.Configuration(databasePath: folder.appendingPathComponent("adapters.sqlite").path)
        configuration.publicBaseURL = "https://hooks.example.com"
        configuration.defaults.twilioAuthToken = Self.token
        let metrics = MetricsRegistry()
        // No router listens: events stay in the inbox, so only intake is measured.
        let service = try await AdaptersService(configuration: configuration, router: LineClient(host: "127.0.0.1", port: 9), logger: logger, metrics: metrics)
        let http = HTTPServer(options: HTTPServer.Options(), logger: logger, metrics: metrics)
        service.register(on: http)
        let port = try http.start()

        let connections = 32
        let perConnection = 20_000
        let requests = (0..<connections).map { connection in
            (0..<perConnection).map { Self.request(id: "SM\(connection)x\($0)", from: "+1555\(String(format: "%07d", $0 % 5000))") }
        }
        let accepted = Tally()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in 0..<connections {
                let batch = requests[connection]
                group.addTask {
                    try await onThread {
                        let socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
                        defer { socket.close() }
                        var reader = ResponseReader(socket: socket)
                        for request in batch where Date() < deadline {
                            try socket.sendAll(request)
                            guard try reader.next() == 200 else { throw SystemError(operation: "webhook answer", code: 5) }
                            accepted.add()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        report("adapters: signed webhooks accepted, FULL durability, \(connections) keep-alive", Double(accepted.value) / Date().timeIntervalSince(started), "webhooks/s", target: 10000)

        let latencies = try await onThread { () -> [Double] in
            let socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
            defer { socket.close() }
            var reader = ResponseReader(socket: socket)
            var samples: [Double] = []
            let count = Int(seconds * 1000)
            let begin = DispatchTime.now().uptimeNanoseconds
            for index in 0..<count {
                let due = begin + UInt64(index) * 1_000_000
                while DispatchTime.now().uptimeNanoseconds < due {}
                let sent = DispatchTime.now().uptimeNanoseconds
                try socket.sendAll(Self.request(id: "SMlat\(index)", from: "+1555300\(String(format: "%04d", index % 9000))"))
                _ = try reader.next()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
            }
            return samples.sorted()
        }
        let p50 = latencies[latencies.count / 2]
        let p99 = latencies[Int(Double(latencies.count) * 0.99)]
        print(String(format: "adapters: answer latency at 1,000/s: p50 %.2f ms, p99 %.2f ms (target p99 ≤ 3 ms: %@)", p50, p99, p99 <= 3 ? "met" : "NOT met"))
        await http.shutdown()
        await service.stop()
    }

    static func request(id: String, from: String) -> [UInt8] {
        let parameters = [("MessageSid", id), ("From", from), ("To", account), ("Body", "Hi, is the 3br on Elm St still available?"), ("NumMedia", "0")]
            .map { (name: $0.0, value: $0.1) }
        let body = FormURLEncoding.encode(parameters)
        let signature = WebhookSigner.twilio(url: "https://hooks.example.com/webhooks/twilio", parameters: parameters, authToken: token)
        let head = "POST /webhooks/twilio HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: \(signature)\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        return Array((head + body).utf8)
    }
}

/// Reads keep-alive HTTP responses (status line, headers, `Content-Length` body) from a blocking socket.
struct ResponseReader {
    let socket: Socket
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)

    init(socket: Socket) {
        self.socket = socket
    }

    mutating func next() throws -> Int {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffer.count >= end + 4 + length {
                    buffer.removeSubrange(..<(end + 4 + length))
                    return Int(head.split(separator: " ")[1]) ?? 0
                }
            }
            let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            guard case .bytes(let count) = result else { throw SystemError(operation: "read", code: 104) }
            buffer += chunk[0..<count]
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
