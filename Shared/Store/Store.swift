import Foundation
import Synchronization

/// A service's SQLite database behind one dedicated thread, with group commit.
///
/// Every ``write(_:)`` waiting when the thread comes round joins one `BEGIN IMMEDIATE`
/// transaction: each runs in its own savepoint (a throw undoes only that write), then one `COMMIT`
/// (one sync under `synchronous=FULL`) makes them all durable, and only then is each caller
/// resumed. So a service may answer `ok` as soon as `write` returns (`PROTOCOL.md`, "Durability
/// contract") and concurrent requests share the cost of the sync.
///
/// Checkpoints never run inside a commit: a ``Checkpointer`` does them on its own connection.
///
/// The thread parks as soon as it has no work. Polling for the next job first (up to 150 µs,
/// fixed or adaptive, both tried) won the single-store benchmark (10,000 against 7,400
/// one-at-a-time commits/s) but lost the mesh (`switchboard-loadgen --rate 1000`: p50 20–24 ms
/// against 12–17 ms): on two shared cores a polling thread takes the core from whoever would
/// produce its next job.
///
/// Threading: the ``Database`` is confined to the store's thread; closures passed to `read` and
/// `write` run there and must not block on anything but SQLite.
public final class Store: Sendable {
    private struct Job: Sendable {
        var isWrite: Bool
        /// Runs the work; returns the delivery of its result, to be called after the commit.
        var run: @Sendable (Database) throws -> @Sendable () -> Void
        var fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var closing = false
        var closed = false
    }

    public let path: String
    /// The most writes that share one transaction.
    public let maximumBatch: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    nonisolated(unsafe) private var queue = Queue()
    private let batches = Atomic<Int>(0)
    /// Set on the store's thread before `init` returns; read-only afterwards.
    nonisolated(unsafe) private var checkpointer: Checkpointer?

    /// Opens the database at `path` and applies `migrations` before returning.
    ///
    /// - Throws: ``SQLiteError`` for an unreadable file, a refused pragma or a newer schema.
    /// - Parameter checkpointPages: the WAL size (pages) at which the background ``Checkpointer`` runs.
    ///   8,000 pages (32 MiB) rather than SQLite's 1,000: a checkpoint copies each page once however
    ///   often it changed, and the router rewrites the same hot pages (rotation, recency, loads,
    ///   index leaves) with every decision. Measured at 1,000 msgs/s: the router's `pwrite` calls
    ///   76,000 → 62,000 and its syncs 121 → 20–53 in 2 s.
    public init(
        path: String, durability: Database.Durability = .normal, migrations: [Migration], maximumBatch: Int = 512, checkpointPages: Int = 8000
    ) throws {
        self.path = path
        self.maximumBatch = maximumBatch
        let opened = Mutex<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            // Both connections are closed before `close()` returns (a reopen never races them).
            do {
                let database = try Database(path: path, durability: durability)
                try database.migrate(migrations)
                let checkpointer = try Checkpointer(path: path, durability: durability, threshold: checkpointPages)
                self.checkpointer = checkpointer
                do {
                    try database.checkpointElsewhere { checkpointer.walGrew(to: $0) }
                } catch {
                    checkpointer.stop()
                    throw error
                }
                opened.withLock { $0 = .success(()) }
                ready.signal()
                serve(database)
                checkpointer.stop()
            } catch {
                opened.withLock { $0 = .failure(error) }
                ready.signal()
            }
            markClosed()
        }
        thread.name = "switchboard.store"
        thread.start()
        ready.wait()
        if case .failure(let error) = opened.withLock({ $0 }) {
            throw error
        }
    }

    /// Runs `body` in a write transaction shared with other concurrent writes, and returns its
    /// result once the transaction has committed.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueueWrite(body) { continuation.resume(with: $0) }
        }
    }

    /// Queues `body` like ``write(_:)`` but returns at once; `completion` gets its result once the
    /// transaction has committed (on the store's thread: keep it short).
    ///
    /// Writes run in the order they were queued, so a caller that must not wait for one commit
    /// before deciding the next (the router's pipeline) still has them applied in its order.
    public func enqueueWrite<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        submit(Job(
            isWrite: true,
            run: { database in
                let value = try body(database)
                return { completion(.success(value)) }
            },
            fail: { completion(.failure($0)) }))
    }

    /// Runs `body` outside any write transaction (it sees only committed data).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(Job(
                isWrite: false,
                run: { database in
                    let value = try body(database)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) }))
        }
    }

    /// How many WAL checkpoints the background ``Checkpointer`` has completed.
    public var checkpoints: Int { checkpointer?.checkpoints ?? 0 }

    /// How many transactions group commit has run (for metrics and benchmarks).
    public var committedBatches: Int { batches.load(ordering: .relaxed) }

    /// Finishes queued work, then closes the database. Later calls fail.
    public func close() {
        condition.lock()
        queue.closing = true
        condition.broadcast()
        while !queue.closed { condition.wait() }
        condition.unlock()
    }

    private func submit(_ job: Job) {
        condition.lock()
        guard !queue.closing else {
            condition.unlock()
            job.fail(SQLiteError(code: 21, message: "\(path) is closed"))
            return
        }
        queue.jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func markClosed() {
        condition.lock()
        queue.closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func serve(_ database: Database) {
        while true {
            condition.lock()
            while queue.jobs.isEmpty && !queue.closing { condition.wait() }
            if queue.jobs.isEmpty && queue.closing {
                condition.unlock()
                return
            }
            let taken = Array(queue.jobs.prefix(maximumBatch))
            queue.jobs.removeFirst(taken.count)
            condition.unlock()

            var writes: [Job] = []
            for job in taken {
                if job.isWrite {
                    writes.append(job)
                } else {
                    runAlone(job, database)
                }
            }
            if writes.count == 1 {
                runAlone(writes[0], database, inTransaction: true)
            } else if !writes.isEmpty {
                commitGroup(writes, database)
            }
        }
    }

    private func runAlone(_ job: Job, _ database: Database, inTransaction: Bool = false) {
        do {
            let deliver = inTransaction ? try database.transaction { try job.run(database) } : try job.run(database)
            if inTransaction { batches.add(1, ordering: .relaxed) }
            deliver()
        } catch {
            job.fail(error)
        }
    }

    private func commitGroup(_ writes: [Job], _ database: Database) {
        var deliveries: [@Sendable () -> Void] = []
        var failures: [(Job, any Error)] = []
        do {
            try database.transaction {
                for job in writes {
                    do {
                        deliveries.append(try database.transaction { try job.run(database) })
                    } catch {
                        failures.append((job, error))
                    }
                }
            }
        } catch {
            for job in writes { job.fail(error) }
            return
        }
        batches.add(1, ordering: .relaxed)
        for (job, error) in failures { job.fail(error) }
        for deliver in deliveries { deliver() }
    }
}
