import Foundation

/// A thread of its own that runs closures handed to it, parking between them: the least a job
/// run on another thread costs, with no SQLite in it. It mirrors how a ``Store`` takes a job
/// (an `NSCondition` signal, a parked thread woken) and answers it (a continuation resumed onto
/// the cooperative pool), so the store's one-at-a-time figure is printed beside the floor that
/// any store on a thread of its own has on this machine.
final class RawHandOff: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init() {
        Thread { [self] in
            while true {
                condition.lock()
                while jobs.isEmpty && !stopping { condition.wait() }
                if jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let taken = jobs
                jobs.removeAll()
                condition.unlock()
                for job in taken { job() }
            }
        }.start()
    }

    /// Hands an empty job to the thread and returns once it has run.
    func roundTrip() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            jobs.append { continuation.resume() }
            condition.signal()
            condition.unlock()
        }
    }

    /// Round trips per second, one at a time, for `seconds`.
    static func rate(seconds: Double) async -> Double {
        let handOff = RawHandOff()
        defer { handOff.stop() }
        var count = 0
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            await handOff.roundTrip()
            count += 1
        }
        return Double(count) / Date().timeIntervalSince(started)
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}
