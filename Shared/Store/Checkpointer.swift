import Foundation
import Synchronization
import SwitchboardPOSIX

/// Checkpoints a store's WAL on a thread of its own.
///
/// Why: left to itself, SQLite checkpoints inside the commit that takes the WAL past 1,000
/// pages, copying them into the database file and syncing it; that one commit, and every request
/// waiting on its group, is held for the copy and the sync, which set every service's p99
/// (`docs/performance.md`). The store's connection therefore never checkpoints (``Database/checkpointElsewhere(_:)``);
/// its commits report the WAL's size, and once it passes `threshold` pages this thread runs a
/// `PASSIVE` checkpoint on its own connection, which never blocks the writer.
///
/// The WAL starts over from its beginning only at a write that finds every frame copied, which a
/// passive checkpoint racing a steady stream of writes never achieves: the file grows to ten
/// times the threshold (~41 MB at 1,000 pages) before the writer checkpoints itself. When asked
/// to (``keepsWALNearThreshold``: the ``Store`` does for FULL durability) this thread therefore
/// repeats its checkpoint, each round copying what the writer added during the one before, and
/// once a round finds at most ``catchUpFrames`` new, the writer copies those itself after its
/// next commit (`walGrew` answers true); its next transaction then starts the WAL over. The file stays near the
/// threshold, so its zero-filled blocks (``Database/preallocateWAL(bytes:)``) are reused rather
/// than appended to.
///
/// Under NORMAL the writer's finishing checkpoint costs it two syncs its commits do not
/// otherwise make, which lengthened the mesh's tail: NORMAL stores keep the ten-times bound.
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
    /// The most frames left for the writer to copy itself.
    let catchUpFrames: Int
    /// Whether checkpoints are finished by the writer so that the WAL starts over near the
    /// threshold (see the type's comment).
    let keepsWALNearThreshold: Bool
    private let condition = NSCondition()
    // Guarded by `condition`.
    nonisolated(unsafe) private var state = State()
    private let completed = Atomic<Int>(0)
    private let asked = Atomic<Int>(0)
    /// Set when a round found at most ``catchUpFrames`` new frames: the writer finishes it.
    private let writerFinishes = Atomic<Bool>(false)

    /// Opens a second connection to `path` (already migrated) and starts the thread.
    init(path: String, durability: Database.Durability, threshold: Int, keepsWALNearThreshold: Bool = false) throws {
        self.threshold = threshold
        catchUpFrames = max(16, threshold / 16)
        self.keepsWALNearThreshold = keepsWALNearThreshold
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
    /// a checkpoint each time the WAL has grown by `threshold` pages. Answers true when the writer
    /// should checkpoint itself: to finish a checkpoint this thread has nearly caught up with,
    /// or, should this thread fall behind, once the WAL has grown to ten times the threshold.
    func walGrew(to pages: Int) -> Bool {
        if writerFinishes.load(ordering: .relaxed), writerFinishes.exchange(false, ordering: .acquiringAndReleasing) {
            return true
        }
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
            guard let checkpointed = try? database.checkpointPassive() else { continue }
            completed.add(1, ordering: .relaxed)
            if keepsWALNearThreshold { catchUp(after: checkpointed, database) }
        }
    }

    /// Repeats the checkpoint, each round copying what the writer added during the one before;
    /// once a round finds at most ``catchUpFrames`` new, the writer copies the rest after its next
    /// commit. Gives up when a reader holds frames, the WAL started over, or after a few rounds.
    private func catchUp(after first: (walFrames: Int, copiedFrames: Int), _ database: Database) {
        var last = first
        for _ in 0..<4 where last.copiedFrames == last.walFrames {
            guard let next = try? database.checkpointPassive(), next.walFrames >= last.walFrames else { return }
            let written = next.walFrames - last.walFrames
            last = next
            if written <= catchUpFrames {
                // Even with nothing new, the writer's open transaction began before this copy
                // finished and will not start the WAL over; its next one will.
                writerFinishes.store(true, ordering: .releasing)
                return
            }
        }
    }
}
