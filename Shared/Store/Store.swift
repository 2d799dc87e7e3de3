import Foundation
import Synchronization
import SwitchboardPOSIX

/// A service's SQLite database behind one dedicated thread, with group commit.
///
/// Every ``write(_:)`` waiting when the thread comes round joins one `BEGIN IMMEDIATE`
/// transaction: each runs in its own savepoint (a throw undoes only that write), then one `COMMIT`
/// (one sync under `synchronous=FULL`) makes them all durable, and only then is each caller
/// resumed. So a service may answer `ok` as soon as `write` returns (`PROTOCOL.md`, "Durability
/// contract") and concurrent requests share the cost of the sync. Writes queued while a group
/// runs join it before it commits, so commits get rarer as load grows (in the router's benchmark,
/// 35 decisions a commit instead of ~3) without waiting for work that has not arrived.
///
/// Every job runs on the store's thread, even one that finds the store idle: callers are event
/// loops and the two threads of Swift's cooperative pool, which a commit must not hold (running
/// it on the caller's thread was measured and lost in every service: `docs/performance.md`).
///
/// Checkpoints never run inside a commit: a ``Checkpointer`` does them on its own connection.
///
/// The thread parks as soon as it has no work: on two shared cores a thread polling for its next
/// job takes the core from whoever would produce that job (`docs/performance.md`).
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

    /// A write for the next transaction, and who hears that it committed (or failed).
    private struct Deferred: Sendable {
        var body: @Sendable (Database) throws -> Void
        var completion: (@Sendable (Result<Void, any Error>) -> Void)?
    }

    private struct Queue {
        var jobs: [Job] = []
        /// ``deferWrite(within:_:completion:)``'s writes, waiting for the next transaction.
        var deferred: [Deferred] = []
        /// When the earliest flush timer armed for them fires (nil: none armed).
        var flushAt: DispatchTime?
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
    /// - Parameter checkpointPages: the WAL size (pages) at which the background ``Checkpointer`` runs:
    ///   SQLite's own 1,000 (4 MiB). Each checkpoint writes its pages into the database file and
    ///   syncs it, a burst of disk writes every commit on the machine then waits behind, so the
    ///   bursts are kept small (larger thresholds were the mesh's tail: `docs/performance.md`). Under
    ///   `durability: .full` the WAL file is kept at 1.5 times this, its blocks written
    ///   (``Database/preallocateWAL(bytes:)``).
    public init(
        path: String, durability: Database.Durability = .normal, migrations: [Migration], maximumBatch: Int = 512, checkpointPages: Int = 1000
    ) throws {
        self.path = path
        self.maximumBatch = maximumBatch
        let opened = Mutex<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            nameCurrentThread("sb.store")
            // Both connections are closed before `close()` returns (a reopen never races them).
            do {
                let database = try Database(path: path, durability: durability)
                try database.migrate(migrations)
                // Every FULL commit syncs the WAL: keep the blocks it writes allocated, and the
                // WAL inside them (``Checkpointer``; half as much again as the threshold for the
                // writes a checkpoint races, never more than 64 MiB whatever the threshold).
                let keepsWALAllocated = durability == .full
                if keepsWALAllocated {
                    let pageSize = try database.first("PRAGMA page_size") { $0.int(0) } ?? 4096
                    try database.preallocateWAL(bytes: min(64 << 20, Database.walFileBytes(frames: checkpointPages * 3 / 2, pageSize: pageSize)))
                }
                let checkpointer = try Checkpointer(
                    path: path, durability: durability, threshold: checkpointPages, keepsWALNearThreshold: keepsWALAllocated)
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

    /// Runs `done` on the store's thread when it gets to it, without touching the database: a
    /// heartbeat's probe that the thread still takes jobs.
    public func probe(_ done: @escaping @Sendable () -> Void) {
        submit(Job(isWrite: false, run: { _ in done }, fail: { _ in }))
    }

    /// How many WAL checkpoints the background ``Checkpointer`` has completed.
    public var checkpoints: Int { checkpointer?.checkpoints ?? 0 }

    /// Jobs waiting for the store (not counting those running): a queue depth for metrics and tests.
    public var queuedJobs: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.jobs.count
    }

    /// Queues `body` to run in the next transaction the store commits anyway, or in one of its
    /// own `delay` seconds from now when none comes first.
    ///
    /// For writes that a crash may lose because they are done again afterwards: the marks that
    /// a hand-off finished (an inbox event forwarded, outbox rows delivered). Acknowledged at
    /// once and written with the next commit, they cost no transaction, sync or thread wake-up
    /// of their own while messages flow (at 1,000 a second each mark was a commit of its own).
    /// A body that throws is undone alone and not retried: what it marks is found again.
    /// `completion`, when given, hears the outcome once the transaction that carried the write
    /// has committed or failed (on the store's thread).
    public func deferWrite(
        within delay: Double = 0.05, _ body: @escaping @Sendable (Database) throws -> Void,
        completion: (@Sendable (Result<Void, any Error>) -> Void)? = nil
    ) {
        condition.lock()
        guard !queue.closing else {
            condition.unlock()
            return enqueueWrite(body) { completion?($0) }
        }
        queue.deferred.append(Deferred(body: body, completion: completion))
        let deadline = DispatchTime.now() + max(0, delay)
        // One timer armed at a time, unless this write must go sooner than the armed one.
        let arm = queue.flushAt.map { deadline < $0 } ?? true
        if arm { queue.flushAt = deadline }
        condition.unlock()
        guard arm else { return }
        DispatchQueue.global().asyncAfter(deadline: deadline) { [weak self] in self?.flushDeferred(armedFor: deadline) }
    }

    /// The deferred writes' own transaction, when no other took them meanwhile.
    private func flushDeferred(armedFor deadline: DispatchTime) {
        condition.lock()
        if queue.flushAt == deadline { queue.flushAt = nil }
        condition.unlock()
        commitDeferredAlone()
    }

    /// Queues an empty write, so deferred writes still waiting get a transaction (every
    /// transaction takes them first).
    private func commitDeferredAlone() {
        condition.lock()
        let waiting = !queue.deferred.isEmpty && !queue.closing
        condition.unlock()
        if waiting { enqueueWrite({ _ in }, completion: { _ in }) }
    }

    private func takeDeferred() -> [Deferred] {
        condition.lock()
        defer { condition.unlock() }
        defer { queue.deferred = [] }
        return queue.deferred
    }

    /// How many transactions group commit has run (for metrics and benchmarks).
    public var committedBatches: Int { batches.load(ordering: .relaxed) }

    /// Finishes queued work, then closes the database. Later calls fail.
    public func close() {
        // Deferred writes go in a last transaction of their own.
        commitDeferredAlone()
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

    /// Runs jobs in the order they were queued until the store closes. A write opens a group
    /// transaction that keeps taking the writes queued behind it, including those queued while
    /// it ran, and commits when none is waiting (or at ``maximumBatch``, or at a read, which must
    /// see the group committed). So commits get rarer as load grows, without ever waiting for
    /// work that has not arrived.
    private func serve(_ database: Database) {
        var backlog = Backlog()
        while true {
            if backlog.isEmpty {
                guard let jobs = take(atMost: maximumBatch, waiting: true) else { return }
                backlog = Backlog(jobs)
            }
            guard let job = backlog.next() else { continue }
            if job.isWrite {
                commitGroup(startingWith: job, then: &backlog, database)
            } else {
                runAlone(job, database)
            }
        }
    }

    /// Jobs taken from the queue and not yet run, in queue order.
    private struct Backlog {
        private var jobs: [Job] = []
        private var position = 0

        init(_ jobs: [Job] = []) { self.jobs = jobs }

        var isEmpty: Bool { position == jobs.count }
        var nextIsWrite: Bool { !isEmpty && jobs[position].isWrite }

        mutating func next() -> Job? {
            guard !isEmpty else { return nil }
            defer { position += 1 }
            return jobs[position]
        }
    }

    /// Up to `count` queued jobs; waits for one when `waiting`, and answers nil only once the
    /// store is closing with nothing left.
    private func take(atMost count: Int, waiting: Bool) -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting && queue.jobs.isEmpty && !queue.closing { condition.wait() }
        if queue.jobs.isEmpty { return queue.closing && waiting ? nil : [] }
        let taken = Array(queue.jobs.prefix(count))
        queue.jobs.removeFirst(taken.count)
        return taken
    }

    /// The write to join the open group: the backlog's next job, or one queued since; nil when
    /// none waits or a read comes first (it must see the group committed).
    private func nextWrite(from backlog: inout Backlog, room: Int) -> Job? {
        if backlog.isEmpty, let more = take(atMost: room, waiting: false) { backlog = Backlog(more) }
        return backlog.nextIsWrite ? backlog.next() : nil
    }

    /// Runs a read outside any transaction.
    private func runAlone(_ job: Job, _ database: Database) {
        do {
            try job.run(database)()
        } catch {
            job.fail(error)
        }
    }

    /// One transaction for `first` and the writes behind it (each in its own savepoint, so a
    /// throw undoes only that write); each result is delivered after the commit.
    ///
    /// A job whose failure made SQLite roll back the whole transaction, or whose savepoint could
    /// not be undone, ends the group: every job in it fails (nothing of theirs stands), and the
    /// jobs not yet taken run in the next transaction, never in autocommit mode.
    private func commitGroup(startingWith first: Job, then backlog: inout Backlog, _ database: Database) {
        var group: [Job] = []
        var deliveries: [@Sendable () -> Void] = []
        var failures: [(Job, any Error)] = []
        var deferred: [Deferred] = []
        var deferredOutcomes: [Result<Void, any Error>] = []
        do {
            try database.transaction {
                deferred = takeDeferred()
                for write in deferred { deferredOutcomes.append(try database.attempt { try write.body(database) }) }
                var next: Job? = first
                while let job = next {
                    group.append(job)
                    switch try database.attempt({ try job.run(database) }) {
                    case .success(let delivery): deliveries.append(delivery)
                    case .failure(let error): failures.append((job, error))
                    }
                    next = group.count < maximumBatch ? nextWrite(from: &backlog, room: maximumBatch - group.count) : nil
                }
            }
        } catch {
            for job in group { job.fail(error) }
            for write in deferred { write.completion?(.failure(error)) }
            return
        }
        batches.add(1, ordering: .relaxed)
        // The group's answers leave together: one write per connection, not one per answer.
        FlushScope.run {
            for (write, outcome) in zip(deferred, deferredOutcomes) { write.completion?(outcome) }
            for (job, error) in failures { job.fail(error) }
            for deliver in deliveries { deliver() }
        }
    }
}
