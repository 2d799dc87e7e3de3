import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// Moving a location between router instances (`switchboardctl partition move`,
/// docs/scaling.md): every row the location owns, read out of one file page by page and
/// written into another, and the source told the location has gone.
extension RouterStore {
    /// One page of a location's rows in one table: the column names and the values of each row
    /// (an `AUTOINCREMENT` sequence left out, so the target numbers rows after its own, in
    /// order). Pages keep every line under the line limit however big the location is.
    struct RowPage: Codable, Sendable {
        var location: String
        /// A name of ``locationTables``, or `processed` (the message ids the location decided,
        /// so a message retried after the move is answered, not decided again).
        var table: String
        var columns: [String]
        var rows: [[JSONValue]]
        /// Where the next page starts (a table and a `rowid` after which to read); nil: this
        /// was the last page of the last table. The router says, so the mover need not know
        /// the tables.
        var next: Cursor?

        enum CodingKeys: String, CodingKey { case location, table, columns, rows, next }
    }

    struct Cursor: Codable, Sendable {
        var table: String
        var after: Int
        enum CodingKeys: String, CodingKey { case table, after }
    }

    /// The tables with a `location` column, in an order that keeps references valid, and the
    /// sequence column each numbers its rows with; `processed` is copied last.
    static let locationTables: [(name: String, sequence: String?)] = [
        ("configs", nil), ("accounts", nil), ("contacts", nil), ("threads", nil), ("decisions", "seq"), ("rotations", nil),
        ("recency", nil), ("open_loads", nil), ("inbound_events", "seq"), ("contact_events", "seq"), ("crm_attribution", nil),
    ]
    static let movedTables = locationTables.map(\.name) + ["processed"]

    /// Up to `limit` rows of `location` from `cursor` (nil: the first table's first row), with
    /// the cursor of the page after.
    func exportPage(location: String, from cursor: Cursor?, limit: Int) async throws -> RowPage {
        let table = cursor?.table ?? Self.movedTables[0]
        let rowid = cursor?.after ?? 0
        guard let position = Self.movedTables.firstIndex(of: table) else { throw WireError.badRequest("table: \(table) is not one of \(Self.movedTables)") }
        let sequence = Self.locationTables.first { $0.name == table }?.sequence
        return try await store.read { database in
            var page = RowPage(location: location, table: table, columns: [], rows: [], next: nil)
            var last = rowid
            let sql = table == "processed"
                // `processed` has no rowid: paged by the decisions that name the ids.
                ? """
                  SELECT d.rowid AS rowid_, p.platform, p.message_id, p.answer FROM decisions d JOIN processed p ON p.message_id = d.message_id
                  WHERE d.location = ?1 AND d.rowid > ?2 AND d.message_id IS NOT NULL
                  ORDER BY d.rowid LIMIT ?3
                  """
                : "SELECT rowid AS rowid_, * FROM \(table) WHERE location = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3"
            try database.query(sql, [.text(location), .integer(rowid), .integer(limit)]) { row in
                let kept = (1..<row.columnCount).filter { row.columnName($0) != sequence }
                if page.columns.isEmpty { page.columns = kept.map(row.columnName) }
                page.rows.append(kept.map { Self.json(row.value($0)) })
                last = row.int(0)
            }
            if page.rows.count == limit {
                page.next = Cursor(table: table, after: last)
            } else if position + 1 < Self.movedTables.count {
                page.next = Cursor(table: Self.movedTables[position + 1], after: 0)
            }
            return page
        }
    }

    /// Clears what a move cut short left of `location` here (or the configuration kept of one
    /// that moved away earlier and now comes back), before the pages of a new move.
    func beginImport(location: String) async throws {
        try await store.write { database in
            for (name, _) in Self.locationTables { try database.run("DELETE FROM \(name) WHERE location = ?", [.text(location)]) }
            try database.run("DELETE FROM moved_locations WHERE location = ?", [.text(location)])
        }
    }

    /// Writes one page exported from another instance, in one transaction.
    func importPage(_ page: RowPage) async throws {
        guard Self.movedTables.contains(page.table) else { throw WireError.badRequest("table: \(page.table) is not one of \(Self.movedTables)") }
        try await store.write { database in
            let location = page.location
            guard !page.rows.isEmpty else { return }
            let known = Set(try database.rows("SELECT name FROM pragma_table_info(?)", [.text(page.table)]) { $0.string(0) })
            guard page.columns.allSatisfy(known.contains), page.table == "processed" || page.columns.contains("location") else {
                throw WireError.badRequest("table \(page.table): columns \(page.columns) do not match this router's")
            }
            let verb = page.table == "processed" ? "INSERT OR IGNORE" : "INSERT"
            let sql = "\(verb) INTO \(page.table) (\(page.columns.joined(separator: ", "))) VALUES (\(page.columns.map { _ in "?" }.joined(separator: ", ")))"
            let locationColumn = page.columns.firstIndex(of: "location")
            for row in page.rows {
                guard row.count == page.columns.count else { throw WireError.badRequest("table \(page.table): a row of \(row.count) values for \(page.columns.count) columns") }
                let values = row.map(Self.sqlValue)
                if let locationColumn, values[locationColumn] != .text(location) { throw WireError.badRequest("table \(page.table): a row of another location") }
                try database.run(sql, values)
            }
        }
    }

    /// Deletes every row of `location` but its configuration (kept, so its accounts are still
    /// recognised and their events answered "moved" rather than "not found"), and records where
    /// it went: in one transaction.
    func dropMoved(location: String, to instance: String, at: Date) async throws {
        try await store.write { database in
            for (name, _) in Self.locationTables where name != "configs" && name != "accounts" {
                try database.run("DELETE FROM \(name) WHERE location = ?", [.text(location)])
            }
            try database.run(
                "INSERT INTO moved_locations (location, moved_to, at) VALUES (?, ?, ?) ON CONFLICT (location) DO UPDATE SET moved_to = excluded.moved_to, at = excluded.at",
                [.text(location), .text(instance), .real(at.timeIntervalSince1970)])
        }
    }

    /// Locations this file once routed and that moved to another instance, with where.
    func movedLocations() async throws -> [String: String] {
        try await store.read { database in
            Dictionary(uniqueKeysWithValues: try database.rows("SELECT location, moved_to FROM moved_locations") { ($0.string(0), $0.string(1)) })
        }
    }

    private static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): .number(Double(number))
        case .real(let number): .number(number)
        case .text(let text): .string(text)
        case .blob(let bytes): .string(Data(bytes).base64EncodedString())
        }
    }

    private static func sqlValue(_ value: JSONValue) -> SQLValue {
        switch value {
        case .number(let number): number.rounded() == number && abs(number) < 9e15 ? .integer(Int64(number)) : .real(number)
        case .string(let text): .text(text)
        case .bool(let flag): .bool(flag)
        default: .null
        }
    }
}
