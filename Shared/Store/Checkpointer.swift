import Foundation
import Synchronization
import SwitchboardPOSIX

/// Checkpoints a store's WAL on a thread of its own.
///
/// Why: left to itself, SQLite checkpoints inside the commit that takes the WAL past 1,000
/// pages, copying them into the database file and syncing it; that one commit, and every request
/// waiting on its group, took 5–10 ms instead of well under one on this VM, which set every
/// service's p99. The store's connection therefore never checkpoints (``Database/checkpointElsewhere(_:)``);
/// its commits report the WAL's size, and once it passes `threshold` pages this thread runs a
/// `PASSIVE` checkpoint on its own connection: it never blocks the writer, and the writer starts
/// the WAL over from the beginning after a complete one, so the file stays bounded.
final class Checkpointer: Sendable {
    private struct State {
        var requested = false
        /// The WAL's size when a checkpoint was last asked for: under a steady stream of writes
        /// the WAL never starts over (a passive checkpoint never catches the writer), so asking
        /// on every commit past the threshold ran checkpoints back to back, each syncing the WAL
        /// under the writer (17 syncs in 2 s at 1,000 decisions/s, one of 46 ms).
        var askedAt = 0
        var stopping = false
        var stopped = false
    }

    let threshold: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    nonisolated(unsafe) private var state = State()
    private let completed = Atomic<Int>(0)
    private let asked = Atomic<Int>(0)

    /// Opens a second connection to `path` (already migrated) and starts the thread.
    init(path: String, durability: Database.Durability, threshold: Int) throws {
        self.threshold = threshold
        let opened = Mutex<(any Error)?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            nameCurrentThread("sb.checkpoint")
            do {
                let database = try Database(path: path, durability: durability)
                ready.signal()
                run(database)
            } catch {
                opened.withLock { $0 = error }
                ready.signal()
            }
            // Out of the connection's scope: it is closed before `stop()` returns.
            markStopped()
        }
        thread.start()
        ready.wait()
        if let error = opened.withLock({ $0 }) { throw error }
    }

    /// Checkpoints completed so far (for tests and metrics).
    var checkpoints: Int { completed.load(ordering: .relaxed) }

    /// Checkpoints asked for so far (for tests).
    var requests: Int { asked.load(ordering: .relaxed) }

    /// Called by the store's connection after each commit with the WAL's size; cheap. Asks for
    /// a checkpoint each time the WAL has grown by `threshold` pages. Answers true when the WAL
    /// has grown to ten times the threshold (under a long stream of writes the WAL only starts
    /// over once a checkpoint has caught the writer): the writer then checkpoints itself, which
    /// bounds the file.
    func walGrew(to pages: Int) -> Bool {
        guard pages >= threshold else { return false }
        if pages >= 10 * threshold { return true }
        condition.lock()
        if pages < state.askedAt { state.askedAt = 0 }
        if pages - state.askedAt >= threshold, !state.requested {
            state.askedAt = pages
            state.requested = true
            asked.add(1, ordering: .relaxed)
            condition.signal()
        }
        condition.unlock()
        return false
    }

    /// Stops the thread and closes its connection; returns once it has.
    func stop() {
        condition.lock()
        state.stopping = true
        condition.broadcast()
        while !state.stopped { condition.wait() }
        condition.unlock()
    }

    private func markStopped() {
        condition.lock()
        state.stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Checkpoints on request until asked to stop.
    private func run(_ database: Database) {
        while true {
            condition.lock()
            while !state.requested && !state.stopping { condition.wait() }
            if state.stopping {
                condition.unlock()
                return
            }
            state.requested = false
            condition.unlock()
            // A failure (the disk, most likely) leaves the pages in the WAL, still readable and
            // durable; the next commit past the threshold asks again.
            if (try? database.execute("PRAGMA wal_checkpoint(PASSIVE)")) != nil {
                completed.add(1, ordering: .relaxed)
            }
        }
    }
}
