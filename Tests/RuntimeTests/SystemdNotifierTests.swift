import Foundation
import Testing
import SwitchboardRuntime
import SwitchboardTestSupport

@Suite struct SystemdNotifierTests {
    @Test func sendsReadyWatchdogPingsAndStoppingToTheNotifySocket() async throws {
        let directory = TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.file("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "100000"])
        notifier.ready(status: "lines=127.0.0.1:7100")
        let ready = try await receiver.next()
        #expect(ready.contains("READY=1"))
        #expect(ready.contains("STATUS=lines=127.0.0.1:7100"))
        // Pinged at half of WATCHDOG_USEC, again and again (the schedule, not a stopwatch: a
        // loaded machine may deliver two pings back to back).
        #expect(notifier.watchdogInterval == 0.05)
        #expect(try await receiver.next() == "WATCHDOG=1")
        #expect(try await receiver.next() == "WATCHDOG=1")
        notifier.stopping()
        var last = try await receiver.next()
        while last == "WATCHDOG=1" { last = try await receiver.next() }
        #expect(last == "STOPPING=1")
    }

    @Test func doesNothingWithoutANotifySocket() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        notifier.ready(status: "x")
        notifier.stopping()
    }
}
