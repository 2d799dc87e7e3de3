import Foundation
import SwitchboardCodec
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardStore

/// The figures issue #2 asks of the shared layer, measured on this machine.
struct FoundationBenchmarks {
    let seconds: Double

    /// A ~300-byte request body, shaped like an inbound message.
    struct Sample: Codable, Sendable {
        var provider: String
        var messageId: String
        var platform: String
        var account: String
        var contact: String
        var name: String
        var text: String
        var at: Date
        enum CodingKeys: String, CodingKey { case provider, messageId, platform, account, contact, name, text, at }
    }

    static let sample = Sample(
        provider: "whatsapp", messageId: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        platform: "whatsapp", account: "+15550001111", contact: "+15551230001", name: "Sheena Nelson",
        text: "Does it come in another color? I would like the blue one if you have it.",
        at: Date(timeIntervalSince1970: 1_795_885_200))

    func run(only part: String?) async throws {
        print("switchboard-bench foundation: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds)s per figure")
        if part == nil || part == "codec" { try codec() }
        if part == nil || part == "lines" { try await roundTrips() }
        if part == nil || part == "store" { try await store() }
    }

    private func codec() throws {
        let line = try Envelope.request(id: "c7-1042", op: "router.route", body: Self.sample)
        print("envelope size: \(line.count) bytes")
        var count = 0
        let encodeStart = Date()
        while Date().timeIntervalSince(encodeStart) < seconds {
            for _ in 0..<1000 { _ = try Envelope.request(id: "c7-1042", op: "router.route", body: Self.sample) }
            count += 1000
        }
        report("codec: encode request envelope", Double(count) / Date().timeIntervalSince(encodeStart), "ops/s")
        let bare = Array(line.dropLast())
        count = 0
        let decodeStart = Date()
        while Date().timeIntervalSince(decodeStart) < seconds {
            for _ in 0..<1000 {
                _ = try RequestHead.parse(bare).get()
                _ = try Envelope.decodeBody(Sample.self, from: bare)
            }
            count += 1000
        }
        report("codec: decode request envelope (head + typed body)", Double(count) / Date().timeIntervalSince(decodeStart), "ops/s")
    }

    private func roundTrips() async throws {
        let server = LineServer(service: "bench", options: LineServerOptions(), logger: Logger(service: "bench", minimumLevel: .error), metrics: MetricsRegistry())
        server.register("bench.echo") { (body: Sample, _) in body }
        let port = try server.start()
        let request = try Envelope.request(id: "b1", op: "bench.echo", body: Self.sample)
        for window in [1, 64] {
            let rawPort = try RawEchoServer.start()
            let raw = try await onOwnThread { try BlockingLineClient(port: rawPort, request: request).run(window: window, seconds: seconds) }
            report("raw: blocking echo thread, \(window) in flight, no JSON", raw, "req/s")
            let rate = try await onOwnThread { try BlockingLineClient(port: port, request: request).run(window: window, seconds: seconds) }
            report("lines: round trips, \(window) in flight, blocking client", rate, "req/s", target: window == 1 ? 8000 : 40000)
            print(String(format: "  ratio to the raw echo in the same run: %.2f", rate / raw))
        }
        for inFlight in [1, 64] {
            let client = LineClient(host: "127.0.0.1", port: port)
            _ = try await client.call("bench.echo", Self.sample, as: Sample.self)
            let deadline = Date().addingTimeInterval(seconds)
            let started = Date()
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<inFlight {
                    group.addTask {
                        var done = 0
                        while Date() < deadline {
                            _ = try await client.call("bench.echo", Self.sample, as: Sample.self)
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
            let rate = Double(total) / Date().timeIntervalSince(started)
            report("lines: round trips, \(inFlight) in flight, LineClient (async)", rate, "req/s")
            client.close()
        }
        await server.shutdown()
    }

    private func store() async throws {
        let directory = try benchmarkFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrations = [Migration("rows", sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")]
        let payload = String(repeating: "x", count: 200)

        let raw = try Database(path: directory.appendingPathComponent("raw.sqlite").path, durability: .normal)
        try raw.migrate(migrations)
        var rawCommits = 0
        let rawStart = Date()
        while Date().timeIntervalSince(rawStart) < seconds {
            try raw.transaction { try raw.run("INSERT INTO rows (payload) VALUES (?)", [.text(payload)]) }
            rawCommits += 1
        }
        report("store: single-row commits on the caller's thread (raw)", Double(rawCommits) / Date().timeIntervalSince(rawStart), "commits/s")

        let normal = try Store(path: directory.appendingPathComponent("normal.sqlite").path, durability: .normal, migrations: migrations)
        var commits = 0
        let normalStart = Date()
        while Date().timeIntervalSince(normalStart) < seconds {
            try await normal.write { try $0.run("INSERT INTO rows (payload) VALUES (?)", [.text(payload)]) }
            commits += 1
        }
        report("store: single-row commits, one at a time, NORMAL", Double(commits) / Date().timeIntervalSince(normalStart), "commits/s", target: 15000)
        normal.close()

        let full = try Store(path: directory.appendingPathComponent("full.sqlite").path, durability: .full, migrations: migrations)
        let deadline = Date().addingTimeInterval(seconds)
        let fullStart = Date()
        let rows = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var done = 0
                    while Date() < deadline {
                        try await full.write { try $0.run("INSERT INTO rows (payload) VALUES (?)", [.text(payload)]) }
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Date().timeIntervalSince(fullStart)
        report("store: rows, 64 concurrent writers, FULL, group commit", Double(rows) / elapsed, "rows/s", target: 20000)
        report("store:   transactions (syncs) for those rows", Double(full.committedBatches) / elapsed, "commits/s")
        full.close()
    }
}
