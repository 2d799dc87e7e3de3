import Synchronization

/// A result set once, by whoever produces it, and awaited by any number of tasks.
///
/// Used where the work that answers a request is done by someone else, later: the router's
/// pipeline decides a message in a store job, and its answer is known only when that job's
/// transaction has committed.
public final class Promise<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [@Sendable (Result<Value, any Error>) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the result and hands it to every waiter; later calls are ignored.
    public func fulfil(_ result: Result<Value, any Error>) {
        let waiters = state.withLock { state -> [@Sendable (Result<Value, any Error>) -> Void] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter(result) }
    }

    /// Calls `body` with the result: now if it is set, else when it is.
    public func whenDone(_ body: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        let ready = state.withLock { state -> Result<Value, any Error>? in
            if state.result == nil { state.waiters.append(body) }
            return state.result
        }
        if let ready { body(ready) }
    }

    /// The result, once set.
    public func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            whenDone { continuation.resume(with: $0) }
        }
    }
}
