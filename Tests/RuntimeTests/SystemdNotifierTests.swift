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
        // Sent from a thread of its own while this task reads: pings may have filled the socket.
        async let stopped: Void = onOwnThread { notifier.stopping() }
        var last = try await receiver.next()
        while last == "WATCHDOG=1" { last = try await receiver.next() }
        #expect(last == "STOPPING=1")
        try await stopped
    }

    /// A reader that stopped reading must not hang the sender: past the socket's queue (10
    /// datagrams here), each send gives up after the timeout and the messages are dropped.
    @Test func aNotifySocketNobodyReadsDropsMessagesInsteadOfBlocking() async throws {
        let directory = TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.file("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path], sendTimeout: 0.01)
        let queueLimit = (try? String(contentsOfFile: "/proc/sys/net/unix/max_dgram_qlen", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 512
        // The sends run on a thread of their own, so that a regression fails here instead of hanging.
        let sent = DispatchSemaphore(value: 0)
        Thread {
            for index in 0..<(queueLimit + 5) { notifier.status("message \(index)") }
            sent.signal()
        }.start()
        #expect(try await onOwnThread { sent.wait(timeout: .now() + 10) } == .success)
        #expect(try await receiver.next() == "STATUS=message 0")
    }

    @Test func doesNothingWithoutANotifySocket() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        notifier.ready(status: "x")
        notifier.stopping()
    }
}
