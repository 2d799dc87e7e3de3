import Foundation
import Synchronization
import Testing
@testable import SwitchboardStore
import SwitchboardTestSupport

/// In which transaction and order a store runs its jobs: in queue order, with writes that arrive
/// while a group runs joining it.
@Suite struct StoreSchedulingTests {
    static let migrations = [Migration("items", sql: "CREATE TABLE items (id TEXT PRIMARY KEY)")]

    static func insert(_ id: String) -> @Sendable (Database) throws -> Void {
        { try $0.run("INSERT INTO items (id) VALUES (?)", [.text(id)]) }
    }

    static func itemCount(_ store: Store) async throws -> Int? {
        try await store.read { try $0.first("SELECT COUNT(*) FROM items") { $0.int(0) } }
    }

    /// Queues a write that inserts "first" once the returned semaphore is signalled; returns once
    /// the store's thread is running it (so later jobs queue behind it). Signals `done` after it.
    private static func holdStoreInAWrite(_ store: Store, done: DispatchSemaphore) -> DispatchSemaphore {
        let running = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        store.enqueueWrite({ database in
            running.signal()
            _ = release.wait(timeout: .now() + 10)
            try insert("first")(database)
        }, completion: { _ in done.signal() })
        #expect(running.wait(timeout: .now() + 10) == .success)
        return release
    }

    /// Both connections (the store's and its checkpointer's) are closed when `close()` returns,
    /// so a reopen never races them.
    @Test func closeClosesTheConnectionsBeforeItReturns() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("closed.sqlite")
        let store = try Store(path: path, durability: .normal, migrations: Self.migrations)
        try await store.write(Self.insert("one"))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        store.close()
        // SQLite checkpoints and removes the WAL when the last connection closes.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        withExtendedLifetime(store) {}
    }

    @Test func writesQueuedWhileAGroupRunsJoinItsTransaction() throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("group.sqlite"), migrations: Self.migrations)
        let done = DispatchSemaphore(value: 0)
        let release = Self.holdStoreInAWrite(store, done: done)
        for index in 0..<10 {
            store.enqueueWrite(Self.insert("later\(index)"), completion: { _ in done.signal() })
        }
        release.signal()
        for _ in 0..<11 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(store.committedBatches == 1)
        store.close()
    }

    /// A job whose failure made SQLite roll back the whole group transaction (as `SQLITE_FULL`,
    /// `SQLITE_IOERR` or `SQLITE_BUSY` may; here the job does what SQLite would) fails every job
    /// of the group, whose writes are gone; the jobs behind it run in a new transaction, never
    /// in autocommit mode, so no caller is told "failed" about a write that stands.
    @Test func aTransactionRolledBackInsideAGroupFailsTheGroupAndTheJobsBehindRunInANewOne() throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("aborted.sqlite"), migrations: Self.migrations)
        let done = DispatchSemaphore(value: 0)
        let outcomes = Mutex<[String: Bool]>([:])
        func enqueue(_ id: String, _ body: @escaping @Sendable (Database) throws -> Void) {
            store.enqueueWrite(body, completion: { result in
                outcomes.withLock { $0[id] = (try? result.get()) != nil }
                done.signal()
            })
        }
        let release = Self.holdStoreInAWrite(store, done: done)
        enqueue("before", Self.insert("before"))
        enqueue("aborting") { database in
            try Self.insert("aborting")(database)
            try database.run("ROLLBACK")
            throw SQLiteError(code: 13, message: "database or disk is full")
        }
        enqueue("after", Self.insert("after"))
        release.signal()
        for _ in 0..<4 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(outcomes.withLock { $0 } == ["before": false, "aborting": false, "after": true])
        let database = try Database(path: directory.file("aborted.sqlite"))
        let rows = try database.rows("SELECT id FROM items ORDER BY id") { $0.string(0) }
        #expect(rows == ["after"], "the group's writes are gone, the one behind it stands")
        store.close()
    }

    @Test func aFailedRollbackIsReportedNotSwallowed() throws {
        let directory = TemporaryDirectory()
        let database = try Database(path: directory.file("rollback.sqlite"))
        try database.migrate(Self.migrations)
        #expect(throws: TransactionRolledBack.self) {
            try database.transaction {
                _ = try database.attempt {
                    try database.run("ROLLBACK")
                    throw SQLiteError(code: 10, message: "disk I/O error")
                }
                try Self.insert("never")(database)
            }
        }
        #expect(!database.isInTransaction)
        #expect(try database.first("SELECT COUNT(*) FROM items") { $0.int(0) } == 0)
        do {
            try database.transaction {
                // A savepoint released behind the transaction's back: undoing the failure fails.
                try database.transaction {
                    try database.run("RELEASE sp1")
                    throw SQLiteError(code: 1, message: "failed on purpose")
                }
            }
            Issue.record("expected a failure")
        } catch let error as RollbackFailed {
            #expect("\(error.cause)".contains("failed on purpose"))
        } catch {
            Issue.record("expected RollbackFailed, got \(error)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aReadQueuedBehindWritesSeesThemCommittedAndEndsTheirGroup() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("order.sqlite"), migrations: Self.migrations)
        let done = DispatchSemaphore(value: 0)
        let release = Self.holdStoreInAWrite(store, done: done)
        store.enqueueWrite(Self.insert("second"), completion: { _ in done.signal() })
        async let seen = Self.itemCount(store)
        // The read is queued before the third write only once the store holds it.
        while store.queuedJobs < 2 { await Task.yield() }
        store.enqueueWrite(Self.insert("third"), completion: { _ in done.signal() })
        release.signal()
        #expect(try await seen == 2)
        for _ in 0..<3 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(store.committedBatches == 2)
        store.close()
    }
}

@Suite struct CheckpointerTests {
    @Test(.timeLimit(.minutes(1)))
    func aCheckpointIsAskedForOncePerThresholdOfGrowthNotOnEveryCommitPastIt() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("wal.sqlite")
        let database = try Database(path: path)
        try database.migrate(StoreSchedulingTests.migrations)
        let checkpointer = try Checkpointer(path: path, durability: .normal, threshold: 100)
        defer { checkpointer.stop() }

        #expect(!checkpointer.walGrew(to: 99))
        #expect(checkpointer.requests == 0)
        #expect(!checkpointer.walGrew(to: 100))
        #expect(checkpointer.requests == 1)
        while checkpointer.checkpoints < 1 { await Task.yield() }
        // The WAL did not start over (the writer kept writing): commits past the threshold do
        // not ask again until it has grown by another threshold.
        for pages in 101..<200 { #expect(!checkpointer.walGrew(to: pages)) }
        #expect(checkpointer.requests == 1)
        #expect(!checkpointer.walGrew(to: 200))
        #expect(checkpointer.requests == 2)
        while checkpointer.checkpoints < 2 { await Task.yield() }
        // After the WAL starts over, growth is counted from its new beginning.
        #expect(!checkpointer.walGrew(to: 120))
        #expect(checkpointer.requests == 3)
        // Far behind: the writer is told to checkpoint itself.
        #expect(checkpointer.walGrew(to: 1000))
    }
}

/// A FULL store's WAL: zero-filled ahead of its writes, kept across a close, and started over
/// near the checkpoint threshold rather than at ten times it.
@Suite struct FullDurabilityWALTests {
    private static func walBytes(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
    }

    private static func frames(_ count: Int) -> Int { Database.walFileBytes(frames: count, pageSize: 4096) }

    @Test func aFullStoreZeroFillsItsWALKeepsItOnCloseAndReopensWithEveryRow() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("full.sqlite")
        let store = try Store(path: path, durability: .full, migrations: StoreSchedulingTests.migrations, checkpointPages: 64)
        #expect(try Self.walBytes(path) >= Self.frames(96))
        for index in 0..<20 {
            try await store.write(StoreSchedulingTests.insert("row\(index)"))
        }
        store.close()
        withExtendedLifetime(store) {}
        // Kept (SQLITE_FCNTL_PERSIST_WAL), so a restart finds its blocks written.
        #expect(try Self.walBytes(path) >= Self.frames(96))

        let reopened = try Store(path: path, durability: .full, migrations: StoreSchedulingTests.migrations, checkpointPages: 64)
        #expect(try await StoreSchedulingTests.itemCount(reopened) == 20)
        reopened.close()
    }

    @Test func aNormalStoreDoesNotZeroFillItsWAL() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("normal.sqlite")
        let store = try Store(path: path, durability: .normal, migrations: StoreSchedulingTests.migrations, checkpointPages: 64)
        #expect(try Self.walBytes(path) < Self.frames(96))
        store.close()
    }

    /// Commits back to back (one write a transaction, all queued at once) never give a passive
    /// checkpoint a moment with nothing new: without the writer finishing it, the WAL grew to
    /// ten times the threshold (640 frames here) before starting over.
    @Test(.timeLimit(.minutes(1)))
    func underAStreamOfFullCommitsTheWALStartsOverNearTheThreshold() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("stream.sqlite")
        let store = try Store(path: path, durability: .full, migrations: StoreSchedulingTests.migrations, maximumBatch: 1, checkpointPages: 64)
        let writes = 700
        let done = DispatchSemaphore(value: 0)
        for index in 0..<writes {
            store.enqueueWrite(StoreSchedulingTests.insert("row\(index)"), completion: { _ in done.signal() })
        }
        for _ in 0..<writes { #expect(done.wait(timeout: .now() + 30) == .success) }
        #expect(try await StoreSchedulingTests.itemCount(store) == writes)
        // Started over near the threshold (typically within the 96 zero-filled frames); nine
        // times it leaves room for rounds the scheduler delays, and is below the ten at which
        // the writer would have checkpointed on its own.
        #expect(try Self.walBytes(path) < Self.frames(9 * 64))
        store.close()
    }
}
