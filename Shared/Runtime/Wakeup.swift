import Foundation
import Synchronization

/// Lets a background loop sleep until new work arrives or a deadline passes, whichever is first.
///
/// The delivery loops (adapters' forwarder, router's outbox, notifier's engine) share it: a
/// producer calls ``wake()`` after committing work; the loop calls ``sleep(seconds:)`` when it
/// has nothing to start. A wake that arrives while the loop is busy is remembered, so it is never
/// lost between the loop's last look and its sleep.
public final class Wakeup: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var pending = false
        var stopping = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether ``stop()`` was called.
    public var isStopping: Bool { state.withLock { $0.stopping } }

    /// Ends the current or next sleep at once.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending = true
            defer { state.waiter = nil }
            return state.waiter
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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = self.state.withLock { state -> Bool in
                        if state.pending || state.stopping {
                            state.pending = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(max(0.001, seconds))) }
            await group.next()
            let waiting = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.pending = false
                defer { state.waiter = nil }
                return state.waiter
            }
            waiting?.resume()
            group.cancelAll()
        }
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

    /// Asks the loop to stop, waits for its current round, then (up to `deadline` seconds) for
    /// work it started to finish, as `finished` reports, so outcomes are recorded before the
    /// caller closes its database.
    public func stop(deadline: Double = 10, finished: @Sendable () -> Bool = { true }) async {
        wakeup.stop()
        await task.withLock { $0 }?.value
        let giveUp = Date().addingTimeInterval(deadline)
        while !finished(), Date() < giveUp {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
