import Foundation
import SwitchboardPOSIX
import Testing
import SwitchboardCodec
import SwitchboardCtl
import SwitchboardNet
import SwitchboardTestSupport

/// A bounded fuzz run against the real mesh: random and mutated lines on every line-protocol
/// port and malformed HTTP on the webhook port. No service may crash, grow without bound, or
/// store anything. `FUZZ_LINES` / `FUZZ_HTTP` raise the counts (the CI run uses the defaults).
@Suite(.serialized) struct FuzzTests {
    static let lineCount = Int(ProcessInfo.processInfo.environment["FUZZ_LINES"] ?? "") ?? 5000
    static let httpCount = Int(ProcessInfo.processInfo.environment["FUZZ_HTTP"] ?? "") ?? 1000

    /// Valid requests to mutate: read-only ops (any mutation is harmless) and write ops that are
    /// cut short, so that no mutation can be a valid write.
    static let seeds = [
        #"{"v":1,"id":"a","op":"health"}"#,
        #"{"v":1,"id":"b","op":"directory.get_user","body":{"id":"u_x"}}"#,
        #"{"v":1,"id":"c","op":"router.contact","body":{"location":"loc","contact":"+15550000000"}}"#,
        #"{"v":1,"id":"d","op":"notifier.list","body":{"status":"dead"}}"#,
        #"{"v":1,"id":"e","op":"adapters.inbox","body":{"status":"rejected"}}"#,
        #"{"v":1,"id":"f","op":"router.resolve","body":{"location":"loc","contact":"+15550000000"}}"#,
    ]

    static func mutated(_ generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = Array(seeds.randomElement(using: &generator)!.utf8)
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return (0..<Int.random(in: 1..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }.filter { $0 != 0x0A }
        case 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
        case 2:
            for _ in 0..<Int.random(in: 1..<8, using: &generator) { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0x20...0xFF, using: &generator) }
        case 3: bytes = Array(String(repeating: "[", count: Int.random(in: 10..<500, using: &generator)).utf8)
        case 4: bytes.insert(contentsOf: Array(#""junk":[1,2,{"x":null}],"#.utf8), at: 1)
        default: bytes = Array(#"{"v":1,"id":"n","op":"nope.\#(Int.random(in: 0..<1000, using: &generator))"}"#.utf8)
        }
        return bytes.filter { $0 != 0x0A }
    }

    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test(.timeLimit(.minutes(5)))
    func randomAndMutatedTrafficCrashesNothingAndStoresNothing() async throws {
        let folder = TemporaryDirectory()
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
        let mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false)
        defer { mesh.stop() }
        var generator = SeededGenerator.forTest(seed: 20261128)
        let services: [(ServiceProcess, LineClient)] = [
            (mesh.directory, mesh.directoryClient), (mesh.notifier, mesh.notifierClient), (mesh.router, mesh.routerClient), (mesh.adapters, mesh.adaptersClient),
        ]
        for (process, client) in services {
            let before = Self.residentKiB(process.pid)
            var sent = 0
            var connection = try await RawConnection(port: client.options.port, receiveTimeout: 10)
            while sent < Self.lineCount {
                var batch: [UInt8] = []
                for _ in 0..<100 { batch += Self.mutated(&generator) + [0x0A] }
                sent += 100
                let marker = "probe-\(sent)"
                batch += Array(#"{"v":1,"id":"\#(marker)","op":"health"}"#.utf8) + [0x0A]
                if (try? await connection.send(batch)) == nil {
                    connection = try await RawConnection(port: client.options.port, receiveTimeout: 10)
                    continue
                }
                var answered = false
                while let line = try? await connection.readLine() {
                    if line.contains(marker) {
                        answered = true
                        break
                    }
                }
                if !answered { connection = try await RawConnection(port: client.options.port, receiveTimeout: 10) }
            }
            #expect(process.isRunning, "\(process.name) crashed")
            let health = try await client.callRetrying("health", EmptyBody(), as: HealthBody.self, deadline: 10)
            #expect(health.status == "ok")
            let after = Self.residentKiB(process.pid)
            #expect(after - before < 100_000, "\(process.name) grew from \(before) KiB to \(after) KiB")
        }

        for index in 0..<Self.httpCount {
            let connection = try await RawConnection(port: mesh.webhookPort, receiveTimeout: 10)
            let path = ["/webhooks/twilio", "/webhooks/whatsapp", "/webhooks/imessage", "/nope", "/webhooks/twilio/status"][index % 5]
            let body = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let variants = [
                "POST \(path) HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n",
                "POST \(path) HTTP/1.1\r\nContent-Length: \(body.count + 5)\r\nX-Twilio-Signature: x\r\n\r\n",
                "GARBAGE \(index)\r\n\r\n",
                "POST \(path) HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "POST \(path) HTTP/1.1\r\nX-Hub-Signature-256: sha256=\(index)\r\nsb-signing-secret: \(index)\r\nContent-Length: \(body.count)\r\n\r\n",
            ]
            try? await connection.send(Array(variants[Int.random(in: 0..<variants.count, using: &generator)].utf8) + body)
            connection.socket.shutdownWrite()
            if let response = try? await connection.readHTTPResponse() { #expect(response.status >= 400, "answered \(response.status)") }
        }
        #expect(mesh.adapters.isRunning)

        let inbox = try await mesh.adaptersClient.callRetrying("adapters.pending", EmptyBody(), as: [String: Int].self)
        #expect(inbox.values.reduce(0, +) == 0)
        let deliveries = try await mesh.notifierClient.callRetrying("notifier.pending", EmptyBody(), as: [String: Int].self)
        #expect(deliveries.values.reduce(0, +) == 0)
        #expect(try await mesh.directoryClient.callRetrying("directory.version", EmptyBody(), as: [String: Int].self)["version"] == 0)
        #expect(try await mesh.routerClient.callRetrying("router.pending", EmptyBody(), as: [String: Int].self)["outbox"] == 0)
        print("fuzz: \(Self.lineCount) lines per line-protocol service, \(Self.httpCount) malformed HTTP requests: no crash, nothing stored")
    }
}
