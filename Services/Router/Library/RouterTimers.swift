import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardRuntime

/// When the router's time-driven work runs (`docs/routing.md`, "Routing over time"): reply
/// deadlines fire when due, and queued contacts are offered again every `sweepEvery` seconds
/// and as soon as the directory changes (a user back from away, a capacity raised).
///
/// Durable by construction: a deadline lives in its contact's row (`due_at`), written by the
/// decision that set it and cleared by the one that fires it, in the same transaction. The loop
/// keeps nothing of its own but when to wake, so a restart (SIGKILL included) finds every
/// deadline again and none twice.
///
/// Under `--test-clock` the loop does not run: ``advance(to:)`` (`router.advance_clock`) moves
/// time, firing each deadline at its own due time, so tests never wait for the wall clock.
final class RouterTimers: Sendable {
    /// What the timers do; the router supplies it.
    struct Work: Sendable {
        /// The earliest deadline owed.
        var nextDue: @Sendable () async throws -> Date?
        /// Fires every deadline due by the time given, at that time: how many, and whether any failed.
        var fireDue: @Sendable (Date) async -> (fired: Int, failed: Bool)
        /// Offers every location's queued contacts at the time given: how many were assigned.
        var offerQueued: @Sendable (Date) async -> Int
    }

    private struct Plan {
        /// When the loop means to wake next; `distantPast` while it is working (a deadline set
        /// meanwhile always wakes it again).
        var wake = Date.distantPast
        /// The directory changed since the last queue pass.
        var sweepNow = false
    }

    /// Given by ``attach(_:)`` once the router exists (its closures call back into it).
    private let attached = Mutex<Work?>(nil)
    private var work: Work {
        attached.withLock { $0 } ?? Work(nextDue: { nil }, fireDue: { _ in (0, false) }, offerQueued: { _ in 0 })
    }
    private let clock: any WallClock
    private let sweepEvery: Double
    /// Waits after a round in which a firing failed (the store or the directory), so a deadline
    /// that cannot be fired does not spin the loop.
    private let retryAfter: Double = 5
    private let loop = BackgroundLoop()
    private let plan = Mutex(Plan())

    init(clock: any WallClock = SystemWallClock(), sweepEvery: Double) {
        self.clock = clock
        self.sweepEvery = sweepEvery
    }

    /// What firing and sweeping do; before ``start()`` or ``advance(to:)``.
    func attach(_ work: Work) {
        attached.withLock { $0 = work }
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    func stop() async {
        await loop.stop()
    }

    /// A commit set a reply deadline at `due`: the loop wakes now if it meant to sleep past it.
    func scheduled(_ due: Date) {
        if plan.withLock({ due < $0.wake }) { loop.wake() }
    }

    /// Deadlines may have arrived from elsewhere (a location imported): the loop looks again.
    func wake() {
        loop.wake()
    }

    /// The directory changed: queued contacts are offered at once.
    func directoryChanged() {
        plan.withLock { $0.sweepNow = true }
        loop.wake()
    }

    private func run(_ wakeup: Wakeup) async {
        var nextSweep = clock.now
        while !wakeup.isStopping {
            let sweepNow = plan.withLock { plan -> Bool in
                plan.wake = .distantPast
                defer { plan.sweepNow = false }
                return plan.sweepNow
            }
            let now = clock.now
            let outcome = await work.fireDue(now)
            if sweepNow || now >= nextSweep {
                _ = await work.offerQueued(now)
                nextSweep = now.addingTimeInterval(sweepEvery)
            }
            var wake = nextSweep
            if let due = try? await work.nextDue() { wake = min(wake, due) }
            if outcome.failed { wake = max(wake, clock.now.addingTimeInterval(retryAfter)) }
            plan.withLock { $0.wake = wake }
            await wakeup.sleep(seconds: wake.timeIntervalSince(clock.now))
        }
    }

    /// Time passes to `time` with no message: each deadline due by then fires at its own due
    /// time, earliest first, then queued contacts are offered at `time`.
    func advance(to time: Date) async throws -> (fired: Int, dequeued: Int) {
        var fired = 0
        while let due = try await work.nextDue(), due <= time {
            let outcome = await work.fireDue(due)
            fired += outcome.fired
            if outcome.failed { throw WireError.unavailable("a reply deadline due at \(RFC3339.format(due)) could not be handled") }
            if outcome.fired == 0 { break }
        }
        return (fired, await work.offerQueued(time))
    }
}
