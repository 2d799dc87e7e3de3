import Foundation
import Testing
import SwitchboardStore
import SwitchboardTestSupport

@Suite struct StoreTests {
    static let migrations = [
        Migration("items", sql: "CREATE TABLE items (id TEXT PRIMARY KEY, value INTEGER NOT NULL)"),
        Migration("items.note", sql: "ALTER TABLE items ADD COLUMN note TEXT"),
    ]

    @Test func configuresWALForeignKeysAndTheRequestedSynchronousLevel() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("a.sqlite"), durability: .full, migrations: Self.migrations)
        let pragmas = try await store.read { database in
            (try database.first("PRAGMA journal_mode") { $0.string(0) },
             try database.first("PRAGMA synchronous") { $0.int(0) },
             try database.first("PRAGMA foreign_keys") { $0.int(0) },
             try database.schemaVersion(),
             try database.first("PRAGMA temp_store") { $0.int(0) })
        }
        #expect(pragmas.0 == "wal")
        #expect(pragmas.1 == 2)
        #expect(pragmas.2 == 1)
        #expect(pragmas.3 == 2)
        // Savepoint journals stay in memory: group commit's savepoints once spilled to temp files.
        #expect(pragmas.4 == 2)
        store.close()
    }

    @Test func aDeferredWriteRidesOnTheNextCommitOrCommitsAloneAfterItsDelay() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("d.sqlite"), migrations: Self.migrations)
        let committed = Recorder<Bool>()
        // A long delay: only the write that follows can carry it.
        store.deferWrite(within: 60, { try $0.run("INSERT INTO items (id, value) VALUES ('deferred', 1)") }) { committed.append((try? $0.get()) != nil) }
        let before = store.committedBatches
        try await store.write { try $0.run("INSERT INTO items (id, value) VALUES ('carrier', 2)") }
        #expect(store.committedBatches == before + 1, "one transaction for both")
        #expect(committed.values == [true])
        #expect(try await store.read { try $0.first("SELECT COUNT(*) FROM items") { $0.int(0) } } == 2)
        // With no write to carry it, it commits on its own after its delay.
        let alone = Recorder<Bool>()
        store.deferWrite(within: 0.01, { try $0.run("INSERT INTO items (id, value) VALUES ('alone', 3)") }) { alone.append((try? $0.get()) != nil) }
        #expect(try await eventually { alone.values == [true] })
        // One that throws is undone alone, and says so.
        let failing = Recorder<Bool>()
        store.deferWrite(within: 60, { try $0.run("INSERT INTO items (id, value) VALUES ('alone', 4)") }) { failing.append((try? $0.get()) != nil) }
        try await store.write { try $0.run("INSERT INTO items (id, value) VALUES ('second carrier', 5)") }
        #expect(failing.values == [false])
        #expect(try await store.read { try $0.first("SELECT COUNT(*) FROM items") { $0.int(0) } } == 4)
        // Closing commits what is still deferred.
        store.deferWrite(within: 60, { try $0.run("INSERT INTO items (id, value) VALUES ('at close', 6)") })
        store.close()
        let reopened = try Store(path: directory.file("d.sqlite"), migrations: Self.migrations)
        #expect(try await reopened.read { try $0.first("SELECT COUNT(*) FROM items") { $0.int(0) } } == 5)
        reopened.close()
    }

    @Test func aThrowInsideAWriteRollsBackOnlyThatWrite() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("b.sqlite"), migrations: Self.migrations)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        try await store.write { database in
                            try database.run("INSERT INTO items (id, value) VALUES (?, ?)", [.text("k\(index)"), .integer(index)])
                            if index % 2 == 1 { throw SQLiteError(code: 1, message: "odd") }
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            var succeeded = 0
            for try await ok in group where ok { succeeded += 1 }
            #expect(succeeded == 100)
        }
        let ids = try await store.read { try $0.rows("SELECT value FROM items ORDER BY value") { $0.int(0) } }
        #expect(ids == Array(stride(from: 0, to: 200, by: 2)))
        #expect(store.committedBatches < 100)
        store.close()
    }

    @Test func constraintViolationsCarryTheExtendedCodeAndSQL() async throws {
        let directory = TemporaryDirectory()
        let store = try Store(path: directory.file("c.sqlite"), migrations: Self.migrations)
        try await store.write { try $0.run("INSERT INTO items (id, value) VALUES ('x', 1)") }
        do {
            try await store.write { try $0.run("INSERT INTO items (id, value) VALUES ('x', 2)") }
            Issue.record("expected a constraint violation")
        } catch let error as SQLiteError {
            #expect(error.isConstraintViolation)
            #expect(error.code == 1555)
            #expect(error.sql?.contains("INSERT INTO items") == true)
        }
        store.close()
    }

    @Test func refusesADatabaseWithANewerSchema() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("d.sqlite")
        try Store(path: path, migrations: Self.migrations).close()
        #expect {
            try Store(path: path, migrations: Array(Self.migrations.prefix(1)))
        } throws: { error in
            "\(error)".contains("schema version 2, newer than this binary supports (1)")
        }
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("garbage.sqlite")
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            try Store(path: path, migrations: Self.migrations)
        } throws: { error in
            "\(error)".contains("not a usable SQLite database")
        }
    }

    @Test func appliesOnlyTheMigrationsNotYetApplied() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("e.sqlite")
        let first = try Store(path: path, migrations: Array(Self.migrations.prefix(1)))
        try await first.write { try $0.run("INSERT INTO items (id, value) VALUES ('kept', 1)") }
        first.close()
        let second = try Store(path: path, migrations: Self.migrations)
        let row = try await second.read { try $0.first("SELECT id, note FROM items") { ($0.string(0), $0.optionalString(1)) } }
        #expect(row?.0 == "kept")
        #expect(row?.1 == nil)
        second.close()
    }

    @Test func aWriterKilledMidTransactionLeavesOnlyCommittedBatches() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("killed.sqlite")
        let writer = try ChildProcess("SwitchboardTestKit", ["store-writer", path])
        try writer.waitForLine(containing: "mid-transaction 6")
        writer.signal(SIGKILL)
        _ = try writer.waitForExit()
        let database = try Database(path: path)
        #expect(try database.first("PRAGMA integrity_check") { $0.string(0) } == "ok")
        let counts = try database.rows("SELECT batch, COUNT(*) FROM rows GROUP BY batch ORDER BY batch") { [$0.int(0), $0.int(1)] }
        #expect(counts == [[1, 100], [2, 100], [3, 100], [4, 100], [5, 100]])
    }

    /// Commits must not pay for checkpoints (they set every service's p99), yet the WAL must
    /// stay bounded and every row survive a reopen.
    @Test(.timeLimit(.minutes(1)))
    func checkpointsRunOutsideCommitsAndKeepTheWALBounded() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("wal.sqlite")
        let store = try Store(path: path, migrations: Self.migrations, checkpointPages: 50)
        #expect(try await store.read { try $0.first("PRAGMA wal_autocheckpoint") { $0.int(0) } } == 0)
        let note = String(repeating: "x", count: 1_000)
        for round in 0..<20 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        try await store.write { database in
                            try database.run("INSERT INTO items (id, value, note) VALUES (?, ?, ?)", [.text("r\(round)-\(index)"), .integer(index), .text(note)])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(try await eventually { store.checkpoints > 0 })
        // 20 MB were written; without checkpoints the WAL would hold all of it.
        let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(walBytes < 4 << 20, "WAL is \(walBytes) bytes")
        store.close()
        let reopened = try Store(path: path, migrations: Self.migrations)
        #expect(try await reopened.read { try $0.first("SELECT COUNT(*) FROM items") { $0.int(0) } } == 20_000)
        reopened.close()
    }
}
