import Foundation
import SwitchboardRuntime
import Testing
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardNet
import SwitchboardPOSIX
import SwitchboardTestSupport

/// Each service under a test-owned `NOTIFY_SOCKET`: READY only once the port accepts
/// connections, WATCHDOG at the configured interval, STOPPING on SIGTERM; and secrets taken from
/// `$CREDENTIALS_DIRECTORY` without ever reaching logs or the command line.
@Suite struct ServiceReadinessTests {
    static func arguments(_ service: String, _ folder: TemporaryDirectory) -> [String] {
        var arguments = ["--listen", "127.0.0.1:0", "--database", folder.file("\(service).sqlite")]
        if service == "adapters" { arguments += ["--http", "127.0.0.1:0"] }
        return arguments
    }

    @Test(arguments: ["directory", "notifier", "router", "adapters", "console"])
    func readyOnlyAfterThePortAcceptsThenWatchdogThenStopping(service: String) async throws {
        let folder = TemporaryDirectory()
        let receiver = try DatagramReceiver(path: folder.file("notify.sock"))
        let launched = Date()
        var environment = ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "200000"]
        if service == "console" { environment["SWITCHBOARD_CONSOLE_PASSWORD_HASH"] = PasswordHash(password: "readiness test", iterations: 1000).description }
        let process = try ChildProcess("switchboard-\(service)", Self.arguments(service, folder), environment: environment)
        let ready = try await receiver.next()
        #expect(ready.contains("READY=1"), "\(ready)")
        let port = try process.listeningPort(protocol: service == "console" ? "http" : "lines")
        let socket = try await onOwnThread { try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 500) }
        socket.close()
        #expect(try await receiver.next() == "WATCHDOG=1")
        #expect(try await receiver.next() == "WATCHDOG=1")
        // Pinged at half of WATCHDOG_USEC (0.1 s): two pings cannot have come sooner than 0.2 s
        // after launch, however late this test read them.
        let elapsed = Date().timeIntervalSince(launched)
        #expect(elapsed >= 0.2, "two watchdog pings \(elapsed) s after launch")
        process.signal(SIGTERM)
        var message = try await receiver.next()
        while message == "WATCHDOG=1" { message = try await receiver.next() }
        #expect(message == "STOPPING=1")
        #expect(try process.waitForExit() == 0)
    }

    @Test func aCredentialSecretIsUsedAndNeverLoggedOrOnTheCommandLine() async throws {
        let folder = TemporaryDirectory()
        let credentials = folder.file("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        let secret = "cred-\(UUID().uuidString)"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: credentials + "/token"))
        let process = try ChildProcess("switchboard-directory", Self.arguments("directory", folder), environment: ["CREDENTIALS_DIRECTORY": credentials])
        let port = try process.listeningPort()

        var wrong = LineClientOptions(host: "127.0.0.1", port: port)
        wrong.token = "not-it"
        await #expect(throws: WireError.self) { _ = try await LineClient(options: wrong).call("directory.version", EmptyBody(), as: [String: Int].self) }
        var right = wrong
        right.token = secret
        #expect(try await LineClient(options: right).call("directory.version", EmptyBody(), as: [String: Int].self)["version"] == 0)

        let commandLine = try String(contentsOfFile: "/proc/\(process.pid)/cmdline", encoding: .utf8)
        #expect(!commandLine.contains(secret))
        process.signal(SIGTERM)
        _ = try process.waitForExit()
        #expect(!(process.stderrLines + process.stdoutLines).joined().contains(secret))
    }
}
