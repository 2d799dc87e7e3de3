import Foundation
import Testing
import SwitchboardRuntime

/// The delivery loops sleep on a ``Wakeup`` between rounds: a wake must never be lost, whether it
/// comes before the sleep, during it or from ``Wakeup/stop()``, and a deadline must end a sleep.
@Suite struct WakeupTests {
    /// Seconds `work` took.
    private func timed(_ work: () async -> Void) async -> Double {
        let started = ContinuousClock.now
        await work()
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func aWakeBeforeTheSleepIsRememberedAndEndsItAtOnce() async {
        let wakeup = Wakeup()
        wakeup.wake()
        #expect(await timed { await wakeup.sleep(seconds: 30) } < 10)
    }

    @Test func aWakeFromAnotherTaskEndsTheSleepWhetherItLandsBeforeOrDuringIt() async {
        let wakeup = Wakeup()
        let sleeping = Task { await timed { await wakeup.sleep(seconds: 30) } }
        wakeup.wake()
        #expect(await sleeping.value < 10)
    }

    @Test func aDeadlineEndsASleepNobodyWakes() async {
        let wakeup = Wakeup()
        let elapsed = await timed { await wakeup.sleep(seconds: 0.05) }
        #expect(elapsed >= 0.04)
        #expect(elapsed < 10)
    }

    @Test func aShorterDeadlineAfterALongerOneIsStillKept() async {
        let wakeup = Wakeup()
        let first = Task { await wakeup.sleep(seconds: 30) }
        wakeup.wake()
        await first.value
        #expect(await timed { await wakeup.sleep(seconds: 0.05) } < 10)
    }

    @Test func onlyOneSleepIsEndedPerWake() async {
        let wakeup = Wakeup()
        wakeup.wake()
        await wakeup.sleep(seconds: 30)
        // The wake was used up: the next sleep runs to its deadline.
        #expect(await timed { await wakeup.sleep(seconds: 0.05) } >= 0.04)
    }

    @Test func stopEndsTheSleepAndEveryLaterOne() async {
        let wakeup = Wakeup()
        let sleeping = Task { await timed { await wakeup.sleep(seconds: 30) } }
        wakeup.stop()
        #expect(await sleeping.value < 10)
        #expect(wakeup.isStopping)
        #expect(await timed { await wakeup.sleep(seconds: 30) } < 10)
    }
}
