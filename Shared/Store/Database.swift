import CSQLite
import Glibc

/// One SQLite connection, opened `NOMUTEX` and confined to a single thread (the ``Store``'s).
///
/// Configured as STYLE.md asks: WAL (checked: sqlite.org/wal.html), `synchronous` NORMAL or
/// FULL (sqlite.org/pragma.html#pragma_synchronous), `foreign_keys=ON`, a busy timeout and
/// extended result codes. Statements are prepared once and cached by their SQL text; every
/// value is bound as a parameter, never spliced into SQL.
public final class Database {
    /// How hard a commit tries to reach the disk.
    public enum Durability: Sendable {
        /// WAL + `synchronous=NORMAL`: a commit survives a process crash; a power loss may lose
        /// the last transactions but never corrupts.
        case normal
        /// WAL + `synchronous=FULL`: a commit survives power loss too. For ledgers such as the
        /// adapters' inbox (Twilio never redelivers).
        case full
    }

    public let path: String
    private let handle: OpaquePointer
    private var statements: [StatementKey: OpaquePointer] = [:]
    private var transactionDepth = 0
    /// Keeps the ``checkpointElsewhere(_:)`` callback alive while SQLite holds a pointer to it.
    private var walObserver: WALObserver?

    /// Opens (creating if needed) and configures the database at `path`.
    ///
    /// - Throws: ``SQLiteError`` when the file cannot be opened, is not a database, or refuses WAL.
    public init(path: String, durability: Durability = .normal, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) {
        self.path = path
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        do throws(SQLiteError) {
            let mode = try scalarString("PRAGMA journal_mode=WAL")
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(code: SQLITE_ERROR, message: "\(path) refused WAL mode (journal_mode is \(mode ?? "unknown"))")
            }
            try execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
            try execute("PRAGMA foreign_keys=ON")
            try execute("PRAGMA temp_store=MEMORY")
        } catch {
            sqlite3_close_v2(handle)
            throw SQLiteError(code: error.code, message: "\(path) is not a usable SQLite database: \(error.message)", sql: error.sql)
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without parameters (schema, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard status == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: status, message: message, sql: sql)
        }
    }

    /// Runs a statement with bound parameters to completion.
    public func run(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            if status != SQLITE_ROW { throw failure(status, sql) }
        }
    }

    /// Calls `body` for each row of a query.
    public func query(_ sql: String, _ arguments: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status, sql) }
            try body(Row(statement: statement))
        }
    }

    /// Maps every row of a query.
    public func rows<T>(_ sql: String, _ arguments: [SQLValue] = [], _ transform: (Row) throws -> T) throws -> [T] {
        var result: [T] = []
        try query(sql, arguments) { result.append(try transform($0)) }
        return result
    }

    /// Maps the first row of a query, or nil when there is none.
    public func first<T>(_ sql: String, _ arguments: [SQLValue] = [], _ transform: (Row) throws -> T) throws -> T? {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        if status == SQLITE_DONE { return nil }
        guard status == SQLITE_ROW else { throw failure(status, sql) }
        return try transform(Row(statement: statement))
    }

    /// Rows changed by the last `INSERT`, `UPDATE` or `DELETE`.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether a transaction is open on this connection (`sqlite3_get_autocommit`). A statement
    /// that fails with `SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_BUSY`, `SQLITE_NOMEM` or
    /// `SQLITE_INTERRUPT` may make SQLite roll the whole transaction back by itself; this is how
    /// that is noticed, so no later statement runs in autocommit mode believing it is inside.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction (or a savepoint when one is open); commits
    /// on return, rolls back on throw.
    ///
    /// - Throws: `body`'s error after undoing its writes; ``TransactionRolledBack`` when SQLite
    ///   had already rolled back the whole transaction (nothing since `BEGIN` stands, and there
    ///   is no savepoint left to undo); ``RollbackFailed`` when undoing failed too.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let depth = transactionDepth
        let savepoint = "sp\(depth)"
        // Through `run`, so these statements are prepared once and cached like any other.
        try run(depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        transactionDepth += 1
        defer { transactionDepth = depth }
        do {
            let value = try body()
            try run(depth == 0 ? "COMMIT" : "RELEASE \(savepoint)")
            return value
        } catch let error as TransactionRolledBack {
            throw error
        } catch {
            guard isInTransaction else { throw TransactionRolledBack(cause: error) }
            do {
                if depth == 0 {
                    try run("ROLLBACK")
                } else {
                    try run("ROLLBACK TO \(savepoint)")
                    try run("RELEASE \(savepoint)")
                }
            } catch let rollback {
                throw RollbackFailed(cause: error, rollback: rollback)
            }
            throw error
        }
    }

    /// Runs `body` in a savepoint of the open transaction and answers how it went: a failure
    /// undoes only `body`'s writes and is returned. Throws only what the enclosing transaction
    /// cannot go on after (``TransactionRolledBack``, ``RollbackFailed``), so a caller running
    /// several such bodies in one transaction stops at once instead of running the next one
    /// outside it.
    public func attempt<T>(_ body: () throws -> T) throws -> Result<T, any Error> {
        do {
            return .success(try transaction(body))
        } catch let error as TransactionRolledBack {
            throw error
        } catch let error as RollbackFailed {
            throw error
        } catch {
            return .failure(error)
        }
    }

    /// Stops this connection from checkpointing inside its commits, and calls `walGrew` with the
    /// WAL's size in pages after each commit instead (`sqlite3_wal_hook`), on this thread: the
    /// caller checkpoints on another connection (``Checkpointer``). Should `walGrew` answer true
    /// (that checkpointer has fallen far behind), a `PASSIVE` checkpoint runs here and now.
    public func checkpointElsewhere(_ walGrew: @escaping (Int) -> Bool) throws(SQLiteError) {
        try execute("PRAGMA wal_autocheckpoint=0")
        let observer = WALObserver(walGrew)
        walObserver = observer
        sqlite3_wal_hook(handle, { context, connection, name, pages in
            if let context, Unmanaged<WALObserver>.fromOpaque(context).takeUnretainedValue().walGrew(Int(pages)) {
                sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(observer).toOpaque())
    }

    /// Runs a `PASSIVE` checkpoint on this connection: answers the WAL's frames when it began and
    /// how many of them are now copied into the database file (fewer when a reader's snapshot
    /// still needs them).
    public func checkpointPassive() throws(SQLiteError) -> (walFrames: Int, copiedFrames: Int) {
        var walFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        let status = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &walFrames, &copiedFrames)
        guard status == SQLITE_OK else { throw failure(status, "PRAGMA wal_checkpoint(PASSIVE)") }
        return (Int(walFrames), Int(copiedFrames))
    }

    /// The size of a WAL file holding `frames` frames of `pageSize`-byte pages: a 32-byte header,
    /// then each page behind a 24-byte frame header (sqlite.org/fileformat2.html#walformat).
    public static func walFileBytes(frames: Int, pageSize: Int) -> Int {
        32 + frames * (pageSize + 24)
    }

    /// Makes the WAL file at least `bytes` long, its new blocks written (zeros) and synced, and
    /// keeps the file when the connection closes (`SQLITE_FCNTL_PERSIST_WAL`).
    ///
    /// Why: a commit under `synchronous=FULL` syncs the WAL, and a WAL that grows as it is
    /// written makes every such sync write the file's size and block map too, and space merely
    /// reserved (`fallocate`) does not help, since its first write still changes the block map
    /// (measured: `docs/performance.md`). PostgreSQL zero-fills its WAL segments for the same reason
    /// (`wal_init_zero`). Zeros past the last frame are never read as frames: each frame
    /// carries the WAL header's salt and a running checksum. Call before the first write
    /// transaction, from the connection's thread, while no other connection writes.
    public func preallocateWAL(bytes: Int) throws(SQLiteError) {
        // Best effort: refused, SQLite deletes the file at close and the next open fills it again.
        var persist: Int32 = 1
        _ = sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        let descriptor = open(path + "-wal", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw walFileError("open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw walFileError("fstat") }
        var offset = Int(status.st_size)
        guard offset < bytes else { return }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        while offset < bytes {
            let count = min(zeros.count, bytes - offset)
            let written = zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, count, off_t(offset)) }
            guard written > 0 else { throw walFileError("pwrite") }
            offset += written
        }
        guard fdatasync(descriptor) == 0 else { throw walFileError("fdatasync") }
    }

    private func walFileError(_ call: String) -> SQLiteError {
        SQLiteError(code: SQLITE_IOERR, message: "\(call) of \(path)-wal failed: \(String(cString: strerror(errno)))")
    }

    /// Whether a transaction is open on this connection.
    public var inTransaction: Bool { transactionDepth > 0 }

    /// Applies the migrations the database has not seen, each in its own transaction.
    ///
    /// - Throws: ``SQLiteError`` when the database is newer than `migrations`.
    public func migrate(_ migrations: [Migration]) throws {
        let current = try first("PRAGMA user_version") { $0.int(0) } ?? 0
        guard current <= migrations.count else {
            throw SQLiteError(
                code: SQLITE_ERROR,
                message: "\(path) has schema version \(current), newer than this binary supports (\(migrations.count)); upgrade the binary or restore a backup")
        }
        for (index, migration) in migrations.enumerated().dropFirst(current) {
            try transaction {
                do throws(SQLiteError) {
                    try execute(migration.sql)
                } catch {
                    throw SQLiteError(code: error.code, message: "migration \(index + 1) (\(migration.name)) failed: \(error.message)", sql: error.sql)
                }
                try execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    /// The schema version (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try first("PRAGMA user_version") { $0.int(0) } ?? 0
    }

    private func scalarString(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepared(sql, [])
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW else {
            if status == SQLITE_DONE { return nil }
            throw failure(status, sql)
        }
        return Row(statement: statement).optionalString(0)
    }

    private func prepared(_ sql: String, _ arguments: [SQLValue]) throws(SQLiteError) -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[StatementKey(sql: sql)] {
            statement = cached
        } else {
            var created: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &created, nil)
            guard status == SQLITE_OK, let created else { throw failure(status, sql) }
            statements[StatementKey(sql: sql)] = created
            statement = created
        }
        // Every parameter is bound below (the count is checked first), so no value of the previous
        // call survives: clearing them first (`sqlite3_clear_bindings`) was work for nothing.
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == arguments.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "statement takes \(expected) parameters, got \(arguments.count)", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch argument {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let value): status = sqlite3_bind_int64(statement, index, value)
            case .real(let value): status = sqlite3_bind_double(statement, index, value)
            case .text(let value): status = sqlite3_bind_text(statement, index, value, -1, csqlite_transient())
            case .blob(let value):
                status = value.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), csqlite_transient())
                }
            }
            guard status == SQLITE_OK else { throw failure(status, sql) }
        }
        return statement
    }

    private var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    private func failure(_ status: Int32, _ sql: String) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : status, message: lastMessage, sql: sql)
    }
}

/// A statement cache key, hashed by the SQL text's length and its first and last bytes rather
/// than every byte: a decision runs some 20 statements of up to 400 bytes, and hashing their
/// whole text was a tenth of what preparing them cost (`docs/performance.md`). Statements that
/// hash alike still compare their whole text.
private struct StatementKey: Hashable {
    let sql: String

    func hash(into hasher: inout Hasher) {
        let utf8 = sql.utf8
        hasher.combine(utf8.count)
        let hashed: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.prefix(32))))
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
        }
        if hashed == nil { hasher.combine(sql) }
    }
}

/// The callback behind ``Database/checkpointElsewhere(_:)``, boxed for SQLite's context pointer.
private final class WALObserver {
    let walGrew: (Int) -> Bool

    init(_ walGrew: @escaping (Int) -> Bool) {
        self.walGrew = walGrew
    }
}
