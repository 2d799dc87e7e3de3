import CSQLite

/// The current row of a query, valid only inside the closure it is handed to.
///
/// Columns are read by index in `SELECT` order; reads of the wrong type follow SQLite's
/// conversion rules (sqlite.org/c3ref/column_blob.html).
public struct Row {
    let statement: OpaquePointer

    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(statement, index) == SQLITE_NULL
    }

    public func int(_ index: Int32) -> Int {
        Int(sqlite3_column_int64(statement, index))
    }

    public func optionalInt(_ index: Int32) -> Int? {
        isNull(index) ? nil : int(index)
    }

    public func double(_ index: Int32) -> Double {
        sqlite3_column_double(statement, index)
    }

    public func optionalDouble(_ index: Int32) -> Double? {
        isNull(index) ? nil : double(index)
    }

    public func bool(_ index: Int32) -> Bool {
        sqlite3_column_int64(statement, index) != 0
    }

    public func string(_ index: Int32) -> String {
        guard let text = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func optionalString(_ index: Int32) -> String? {
        isNull(index) ? nil : string(index)
    }

    /// A text column holding one of `W`'s values; any other value is a schema error.
    public func word<W: RawRepresentable<String>>(_ index: Int32, as type: W.Type) throws(SQLiteError) -> W {
        let text = string(index)
        guard let value = W(rawValue: text) else { throw SQLiteError(code: 20, message: "unknown \(W.self) \"\(text)\" in column \(index)") }
        return value
    }

    /// The column as stored, whatever its type (copying rows between files).
    public func value(_ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(Int64(sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT: .real(double(index))
        case SQLITE_BLOB: .blob(blob(index))
        default: .text(string(index))
        }
    }

    public var columnCount: Int32 { sqlite3_column_count(statement) }

    public func columnName(_ index: Int32) -> String {
        sqlite3_column_name(statement, index).map { String(cString: $0) } ?? ""
    }

    public func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
