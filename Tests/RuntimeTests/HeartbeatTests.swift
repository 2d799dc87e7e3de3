import Foundation
import Synchronization
import Testing
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardTestSupport

/// A hung thread stops the watchdog: every part must answer each round within one interval.
@Suite struct HeartbeatTests {
    @Test func aPartThatStopsAnsweringIsStuckAfterOneWholeRound() {
        final class Silent: Sendable { let answering = Atomic<Bool>(true) }
        let silent = Silent()
        let heartbeat = Heartbeat(probes: [
            Heartbeat.Probe(name: "quick") { done in done() },
            Heartbeat.Probe(name: "flaky") { done in if silent.answering.load(ordering: .relaxed) { done() } },
        ])
        #expect(heartbeat.isAlive)
        heartbeat.beat()
        heartbeat.beat()
        #expect(heartbeat.isAlive)
        silent.answering.store(false, ordering: .relaxed)
        heartbeat.beat()
        #expect(heartbeat.isAlive, "a round still open is not late yet")
        heartbeat.beat()
        #expect(heartbeat.stuck == ["flaky"])
        silent.answering.store(true, ordering: .relaxed)
        heartbeat.beat()
        #expect(heartbeat.isAlive)
    }

    @Test func aBlockedEventLoopStopsTheWatchdogPingsUntilItRunsAgain() async throws {
        let directory = TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.file("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        let loop = EventLoop(name: "test.heartbeat")
        let heartbeat = Heartbeat(probes: [Heartbeat.Probe(name: loop.name) { done in loop.execute(done) }])
        notifier.watchdogTick(heartbeat)
        #expect(try await receiver.next() == "WATCHDOG=1")
        // The loop runs its queue in order: once this has run, so has the round's probe.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in loop.execute { continuation.resume() } }

        let release = DispatchSemaphore(value: 0)
        loop.execute { _ = release.wait(timeout: .now() + 30) }
        notifier.watchdogTick(heartbeat)
        notifier.watchdogTick(heartbeat)
        notifier.watchdogTick(heartbeat)
        #expect(heartbeat.stuck == ["test.heartbeat"])
        notifier.status("marker")
        #expect(try await receiver.next() == "WATCHDOG=1", "the round begun before the loop blocked")
        #expect(try await receiver.next() == "WATCHDOG=1", "the loop gets one whole interval")
        #expect(try await receiver.next() == "STATUS=marker", "no ping while the loop is stuck")

        release.signal()
        heartbeat.beat()
        #expect(try await eventually { heartbeat.isAlive })
        notifier.watchdogTick(heartbeat)
        #expect(try await receiver.next() == "WATCHDOG=1")
    }
}
