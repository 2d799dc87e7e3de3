/// One step of a database's schema, applied once, in order, under `PRAGMA user_version`
/// (sqlite.org/pragma.html#pragma_user_version).
///
/// The list is append-only: a shipped migration is never edited, a change is a new step. A
/// database whose `user_version` exceeds the list's length was written by a newer binary and is
/// refused, so an old binary never misreads a newer schema.
public struct Migration: Sendable {
    public let name: String
    public let sql: String

    public init(_ name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
