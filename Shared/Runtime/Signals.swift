#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Turns SIGTERM and SIGINT into an awaitable event for graceful shutdown.
///
/// Installs `SIG_IGN` for each signal *before* creating its Dispatch source (on Linux a source
/// created first loses the signal, STYLE.md), and ignores SIGPIPE for the whole process (sends
/// also use `MSG_NOSIGNAL`). Create it from library code, not from `main.swift`: its handler runs
/// on a private queue.
// @unchecked: the Dispatch sources are thread-safe objects configured once in `init`; all other state is in a Mutex.
public final class TerminationSignals: @unchecked Sendable {
    private let queue = DispatchQueue(label: "switchboard.signals")
    private let sources: [any DispatchSourceSignal]
    /// The signal received, or the continuation waiting for one; guarded by the mutex.
    private let state = Mutex<(received: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            let number = Int32(source.handle)
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
        }
    }

    /// Suspends until the first termination signal, returning its number.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let ready: Int32? = state.withLock { state in
                if let received = state.received { return received }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func deliver(_ number: Int32) {
        let waiters = state.withLock { state in
            if state.received == nil { state.received = number }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: number) }
    }
}
