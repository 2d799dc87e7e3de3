import CSQLite

/// A failure from SQLite or from the store around it, with the result code and the SQL involved.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code (sqlite.org/rescode.html), or `SQLITE_ERROR` for store-level errors.
    public let code: Int32
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`code & 0xFF`), e.g. `SQLITE_CONSTRAINT` for every constraint kind.
    public var primaryCode: Int32 { code & 0xFF }

    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    public var description: String {
        var text = "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))): \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }
}

/// SQLite rolled back the whole transaction by itself when a statement inside it failed: every
/// write since `BEGIN` is undone, those of other savepoints (a group commit's other jobs)
/// included. `cause` is the failure that did it.
public struct TransactionRolledBack: Error, CustomStringConvertible {
    public let cause: any Error
    public var description: String { "the transaction was rolled back by SQLite: \(cause)" }
}

/// Undoing a failed transaction or savepoint failed as well, so what the connection holds is
/// unknown. Never swallowed: the store fails everything that shared the transaction.
public struct RollbackFailed: Error, CustomStringConvertible {
    public let cause: any Error
    public let rollback: any Error
    public var description: String { "\(cause); rolling back failed too: \(rollback)" }
}
