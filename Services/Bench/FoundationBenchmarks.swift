import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardStore

/// The figures issue #2 asks of the shared layer, measured on this machine.
struct FoundationBenchmarks {
    let seconds: Double

    /// `router.route`'s body, the line every message crosses: it reads and writes itself
    /// (`JSONReadable`, `JSONWritable`), as on the services' hot paths.
    static let sample = InboundMessage(
        provider: "whatsapp", messageId: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        platform: .whatsapp, account: "+15550001111", contact: "+15551230001", contactName: "Sheena Nelson",
        text: "Does it come in another color? I would like the blue one if you have it.",
        at: Date(timeIntervalSince1970: 1_795_885_200))

    /// The same members through `Codable` alone (`JSONEncoder`, `JSONDecoder`), for comparison:
    /// what an op pays whose body has no hand-written reader and writer.
    struct CodableSample: Codable, Sendable {
        var provider, messageId, platform, account, contact, contactName, text: String
        var mediaCount: Int
        var at: Date
        enum CodingKeys: String, CodingKey { case provider, messageId, platform, account, contact, contactName, text, mediaCount, at }

        init(_ message: InboundMessage) {
            (provider, messageId, platform, account, contact) = (message.provider, message.messageId, message.platform.rawValue, message.account, message.contact)
            (contactName, text, mediaCount, at) = (message.contactName ?? "", message.text, message.mediaCount, message.at)
        }
    }

    func run(only part: String?) async throws {
        print("switchboard-bench foundation: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(seconds)s per figure")
        if part == nil || part == "codec" {
            try codec(Self.sample, label: "InboundMessage")
            try codec(CodableSample(Self.sample), label: "Codable only")
        }
        if part == nil || part == "lines" { try await roundTrips() }
        if part == nil || part == "store" { try await store() }
    }

    private func codec<Body: Codable & Sendable>(_ body: Body, label: String) throws {
        let line = try Envelope.request(id: "c7-1042", op: "router.route", body: body)
        print("envelope size (\(label)): \(line.count) bytes")
        let encodeRate = try rate { _ = try Envelope.request(id: "c7-1042", op: "router.route", body: body) }
        report("codec: encode request, \(label)", encodeRate, "ops/s")
        let bare = Array(line.dropLast())
        let decodeRate = try rate {
            _ = try RequestHead.parse(bare).get()
            _ = try Envelope.decodeBody(Body.self, from: bare)
        }
        report("codec: decode request (head + typed body), \(label)", decodeRate, "ops/s")
    }

    /// Calls of `work` per second over `seconds`.
    private func rate(_ work: () throws -> Void) throws -> Double {
        var count = 0
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            for _ in 0..<1000 { try work() }
            count += 1000
        }
        return Double(count) / Date().timeIntervalSince(started)
    }

    private func roundTrips() async throws {
        let server = LineServer(service: "bench", options: LineServerOptions(), logger: Logger(service: "bench", minimumLevel: .error), metrics: MetricsRegistry())
        server.register("bench.echo") { (body: InboundMessage, _) in body }
        server.register("bench.echo_codable") { (body: CodableSample, _) in body }
        let port = try server.listen()
        let request = try Envelope.request(id: "b1", op: "bench.echo", body: Self.sample)
        let codableRequest = try Envelope.request(id: "b1", op: "bench.echo_codable", body: CodableSample(Self.sample))
        for window in [1, 64] {
            let rawPort = try RawEchoServer.start()
            let raw = try await onOwnThread { try BlockingLineClient(port: rawPort, request: request).run(window: window, seconds: seconds) }
            report("raw: blocking echo thread, \(window) in flight, no JSON", raw, "req/s")
            let rate = try await onOwnThread { try BlockingLineClient(port: port, request: request).run(window: window, seconds: seconds) }
            report("lines: round trips, \(window) in flight, blocking client", rate, "req/s", target: window == 1 ? 8000 : 40000)
            print(String(format: "  ratio to the raw echo in the same run: %.2f", rate / raw))
            let codableRate = try await onOwnThread { try BlockingLineClient(port: port, request: codableRequest).run(window: window, seconds: seconds) }
            report("lines:   the same with a Codable-only body", codableRate, "req/s")
        }
        for inFlight in [1, 64] {
            let client = LineClient(host: "127.0.0.1", port: port)
            _ = try await client.call("bench.echo", Self.sample, as: InboundMessage.self)
            let deadline = Date().addingTimeInterval(seconds)
            let started = Date()
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<inFlight {
                    group.addTask {
                        var done = 0
                        while Date() < deadline {
                            _ = try await client.call("bench.echo", Self.sample, as: InboundMessage.self)
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
        await server.stop()
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
        let oneAtATime = Double(commits) / Date().timeIntervalSince(normalStart)
        report("store: single-row commits, one at a time, NORMAL", oneAtATime, "commits/s", target: 15000)
        let handOffs = await RawHandOff.rate(seconds: seconds)
        report("raw: a job handed to a thread and back, no SQLite", handOffs, "round trips/s")
        print(String(format: "  ratio of the store's one-at-a-time commits to those hand-offs: %.2f", oneAtATime / handOffs))
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
