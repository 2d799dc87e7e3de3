import Synchronization

/// Work under way that a stopping service waits for, and the one way every part of a service
/// drains: the line server's requests, the HTTP server's requests, and the work a
/// ``BackgroundLoop`` started (forwards, deliveries). Each piece is counted in as it starts and
/// out as it ends; ``drain(within:)`` refuses new work from then on and returns once the count is
/// zero or the deadline passed. No polling: the last ``leave()`` resumes the waiters.
public final class InFlight: Sendable {
    private struct State {
        var count = 0
        var draining = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Drains whose deadline passed before their wait began.
        var abandoned: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts `pieces` of work in, all or none; false once draining began (the caller refuses
    /// the work).
    public func enter(_ pieces: Int = 1) -> Bool {
        state.withLock { state in
            guard !state.draining else { return false }
            state.count += pieces
            return true
        }
    }

    /// Counts work in even while draining: work that must finish once begun (a delivery a
    /// commit offered, a request already read on a kept-alive connection).
    public func enterWhileDraining() {
        state.withLock { $0.count += 1 }
    }

    /// Counts one piece of work out.
    public func leave() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public var count: Int { state.withLock { $0.count } }

    public var isDraining: Bool { state.withLock { $0.draining } }

    /// Refuses new work from now on, without waiting (a server stops admitting connections
    /// before it stops its listener).
    public func refuseNew() {
        state.withLock { $0.draining = true }
    }

    /// Refuses new work from now on and waits until everything in flight has left, or `deadline`
    /// has passed; answers whether everything left.
    @discardableResult
    public func drain(within deadline: Duration) async -> Bool {
        let key = state.withLock { state -> UInt64 in
            state.draining = true
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForZero(key: key) }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return false
            }
            let drained = await group.next() ?? false
            if !drained {
                // The deadline won: end the wait, whether or not it has begun.
                let waiter = state.withLock { state in
                    let waiter = state.waiters.removeValue(forKey: key)
                    if waiter == nil { state.abandoned.insert(key) }
                    return waiter
                }
                waiter?.resume()
            }
            group.cancelAll()
            return drained
        }
    }

    /// Answers true once nothing is in flight, false if the drain's deadline passed first.
    private func waitForZero(key: UInt64) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.count == 0 || state.abandoned.remove(key) != nil { return true }
                state.waiters[key] = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        return count == 0
    }
}
