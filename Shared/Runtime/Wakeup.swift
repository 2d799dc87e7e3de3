import Dispatch
import Foundation
import Synchronization

/// Lets a background loop sleep until new work arrives or a deadline passes, whichever is first.
///
/// The delivery loops (adapters' forwarder, router's outbox, notifier's engine) share it: a
/// producer calls ``wake()`` after committing work; the loop calls ``sleep(seconds:)`` when it
/// has nothing to start. A wake that arrives while the loop is busy is remembered, so it is never
/// lost between the loop's last look and its sleep.
///
/// A sleep costs a lock and a continuation, a wake one resume: the loops sleep and wake once per
/// message or batch, so neither may spawn tasks. Deadlines come from one timer per wakeup, left
/// armed while later sleeps ask for later deadlines, so a sleep may end early (at the armed
/// deadline); every loop looks again and sleeps anew, so an early end costs one round.
public final class Wakeup: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var pending = false
        var stopping = false
        /// When the timer fires next, while it is armed.
        var armedUntil: DispatchTime?
    }

    private let state = Mutex(State())
    /// Thread-safe by Dispatch's contract; only `schedule` is called after `init`.
    private nonisolated(unsafe) let timer: any DispatchSourceTimer

    public init() {
        timer = DispatchSource.makeTimerSource(queue: Self.timerQueue)
        timer.setEventHandler { [weak self] in self?.deadlinePassed() }
        timer.activate()
    }

    deinit {
        timer.cancel()
    }

    private static let timerQueue = DispatchQueue(label: "switchboard.wakeup-timers")

    /// Whether ``stop()`` was called.
    public var isStopping: Bool { state.withLock { $0.stopping } }

    /// Ends the current sleep at once, or the next one if the loop is not sleeping.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Marks the loop as stopping and wakes it.
    public func stop() {
        state.withLock { $0.stopping = true }
        wake()
    }

    /// Sleeps up to `seconds`, returning early on ``wake()`` (or at once if one is pending).
    public func sleep(seconds: Double) async {
        let deadline = DispatchTime.now() + max(0.001, seconds)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enum Next { case resume, arm, wait }
            let next = state.withLock { state -> Next in
                if state.pending || state.stopping {
                    state.pending = false
                    return .resume
                }
                state.waiter = continuation
                if let armed = state.armedUntil, armed <= deadline { return .wait }
                state.armedUntil = deadline
                return .arm
            }
            switch next {
            case .resume: continuation.resume()
            case .arm: timer.schedule(deadline: deadline)
            case .wait: break
            }
        }
    }

    private func deadlinePassed() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.armedUntil = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

/// A long-running loop in a task of its own, woken by ``wake()`` and stopped by ``stop()``:
/// the shape of the adapters' forwarder, the router's outbox and the notifier's delivery engine.
public final class BackgroundLoop: Sendable {
    /// How the loop body sleeps between rounds and learns that it must stop.
    public let wakeup = Wakeup()
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init() {}

    /// Starts `body`, which runs until ``Wakeup/isStopping``.
    public func start(_ body: @escaping @Sendable (Wakeup) async -> Void) {
        let wakeup = self.wakeup
        let started = Task { await body(wakeup) }
        task.withLock { $0 = started }
    }

    /// New work arrived: the loop looks now rather than at the end of its sleep.
    public func wake() {
        wakeup.wake()
    }

    /// Asks the loop to stop, waits for its current round, then (up to `deadline`) for the work
    /// it started, counted in `work`, so outcomes are recorded before the caller closes its
    /// database.
    public func stop(deadline: Duration = .seconds(10), draining work: InFlight? = nil) async {
        work?.refuseNew()
        wakeup.stop()
        await task.withLock { $0 }?.value
        await work?.drain(within: deadline)
    }
}
