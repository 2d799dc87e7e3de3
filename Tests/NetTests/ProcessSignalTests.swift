import Foundation
import Testing
import SwitchboardCodec
import SwitchboardNet
import SwitchboardTestSupport

/// The real `switchboard-testkit echo-server` process under signals.
@Suite struct ProcessSignalTests {
    struct Pause: Codable, Sendable {
        var milliseconds: Int
        enum CodingKeys: String, CodingKey { case milliseconds }
    }

    @Test func sigtermLetsInFlightRequestsFinishThenExitsCleanly() async throws {
        let child = try ChildProcess("SwitchboardTestKit", ["echo-server"])
        let port = try child.listeningPort()
        let client = LineClient(host: "127.0.0.1", port: port)
        async let slow = client.call("test.sleep", Pause(milliseconds: 500), as: Pause.self)
        let observer = LineClient(host: "127.0.0.1", port: port)
        var seen = false
        for _ in 0..<1000 where !seen {
            seen = try await observer.call("health", EmptyBody(), as: HealthBody.self).inFlight == 1
        }
        #expect(seen)
        child.signal(SIGTERM)
        #expect(try await slow.milliseconds == 500)
        #expect(try child.waitForExit() == 0)
        #expect(child.stderrLines.contains { $0.contains("event=stopping") && $0.contains("signal=SIGTERM") })
    }

    @Test func aSecretPassedAsAFlagIsRefused() throws {
        let child = try ChildProcess("SwitchboardTestKit", ["echo-server", "--token", "abc"])
        #expect(try child.waitForExit() == 78)
        #expect(child.stderrLines.contains { $0.contains("is a secret") })
        #expect(!child.stderrLines.contains { $0.contains("abc") })
    }

    @Test func aPortInUseIsAClearStartFailure() throws {
        let first = try ChildProcess("SwitchboardTestKit", ["echo-server"])
        let port = try first.listeningPort()
        let second = try ChildProcess("SwitchboardTestKit", ["echo-server", "--listen", "127.0.0.1:\(port)"])
        #expect(try second.waitForExit() == 1)
        #expect(second.stderrLines.contains { $0.contains("Address already in use") })
    }
}
