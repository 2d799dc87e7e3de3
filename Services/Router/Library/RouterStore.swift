import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// The router's SQLite file: configurations, contacts, threads, decisions (the assignment
/// history with traces), rotation and recency, processed message ids, and the outbox.
final class RouterStore: Sendable {
    static let migrations = [
        Migration("router tables", sql: """
            CREATE TABLE configs (location TEXT PRIMARY KEY, version INTEGER NOT NULL, document TEXT NOT NULL, updated_at REAL NOT NULL) STRICT;
            CREATE TABLE accounts (platform TEXT NOT NULL, address TEXT NOT NULL, location TEXT NOT NULL, account_id TEXT NOT NULL,
                PRIMARY KEY (platform, address)) STRICT;
            CREATE TABLE contacts (location TEXT NOT NULL, address TEXT NOT NULL, state TEXT NOT NULL, owner TEXT, open INTEGER NOT NULL,
                manual INTEGER NOT NULL, assigned_at REAL, PRIMARY KEY (location, address)) STRICT;
            CREATE INDEX contacts_owner ON contacts (location, owner, open);
            CREATE TABLE threads (location TEXT NOT NULL, address TEXT NOT NULL, account TEXT NOT NULL, assignee TEXT NOT NULL, open INTEGER NOT NULL,
                PRIMARY KEY (location, address, account)) STRICT;
            CREATE INDEX threads_assignee ON threads (location, assignee, open);
            CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, location TEXT NOT NULL, contact TEXT NOT NULL, account TEXT,
                event TEXT NOT NULL, user TEXT, reason TEXT NOT NULL, rule TEXT, tag TEXT, strategy TEXT, message_id TEXT, at REAL NOT NULL,
                trace TEXT NOT NULL, first_response_at REAL) STRICT;
            CREATE INDEX decisions_contact ON decisions (location, contact, seq);
            CREATE TABLE processed (platform TEXT NOT NULL, message_id TEXT NOT NULL, answer TEXT NOT NULL, PRIMARY KEY (platform, message_id)) STRICT;
            CREATE TABLE rotations (location TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (location, key)) STRICT;
            CREATE TABLE recency (location TEXT NOT NULL, user TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (location, user)) STRICT;
            CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, item TEXT NOT NULL, created_at REAL NOT NULL) STRICT;
            """),
        Migration("inbound events for simulate", sql: """
            CREATE TABLE inbound_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, location TEXT NOT NULL, message TEXT NOT NULL,
                user TEXT, at REAL NOT NULL) STRICT;
            CREATE INDEX inbound_events_time ON inbound_events (location, at);
            """),
        Migration("assignment flag for reports", sql: """
            ALTER TABLE decisions ADD COLUMN assigned INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX decisions_time ON decisions (location, at);
            """),
        // Loads are read on every decision; counting open rows made each read grow with the
        // location's history. Triggers keep the counts with every write, whoever makes it.
        Migration("open loads kept by triggers", sql: """
            CREATE TABLE open_loads (location TEXT NOT NULL, kind TEXT NOT NULL, user TEXT NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY (location, kind, user)) STRICT;
            """ + openLoadTriggers(table: "contacts", user: "owner", kind: "contact") + openLoadTriggers(table: "threads", user: "assignee", kind: "thread")),
        // Every page a decision touches is written to the WAL (two system calls each), and at
        // low rates a decision is alone in its transaction: ~17 pages. The message ids become a
        // table without a rowid (one tree, not two), the outbox loses an index nothing needs
        // (rows are deleted by sequence), and the inbound message goes into its decision's row
        // instead of a table and index of its own (old rows stay readable through a view).
        Migration("fewer pages written per decision", sql: """
            CREATE TABLE processed_new (platform TEXT NOT NULL, message_id TEXT NOT NULL, answer TEXT NOT NULL,
                PRIMARY KEY (platform, message_id)) STRICT, WITHOUT ROWID;
            INSERT INTO processed_new SELECT platform, message_id, answer FROM processed;
            DROP TABLE processed;
            ALTER TABLE processed_new RENAME TO processed;
            CREATE TABLE outbox_new (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, item TEXT NOT NULL, created_at REAL NOT NULL) STRICT;
            INSERT INTO outbox_new SELECT seq, id, item, created_at FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_new RENAME TO outbox;
            ALTER TABLE decisions ADD COLUMN message TEXT;
            CREATE VIEW inbound_messages AS
                SELECT location, message, user, at FROM inbound_events
                UNION ALL SELECT location, message, user, at FROM decisions WHERE message IS NOT NULL;
            """),
        // The load rule is stated once, in Swift (`OpenLoad`), and each commit writes the
        // changes it computes; the triggers that stated it again in SQL go. Their counts stay.
        Migration("open loads written by each commit", sql: ["contacts", "threads"].flatMap { table in
            ["insert", "update_old", "update_new", "delete"].map { "DROP TRIGGER \(table)_load_\($0);\n" }
        }.joined()),
        // Contact events other than messages (tags, manual assignments, releases, unassigns,
        // resolves, drains), so `simulate` replays them between the messages.
        Migration("contact events for simulate", sql: """
            CREATE TABLE contact_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, location TEXT NOT NULL, event TEXT NOT NULL,
                at REAL NOT NULL) STRICT;
            CREATE INDEX contact_events_time ON contact_events (location, at);
            """),
        // GoHighLevel's attribution of a contact (ad, campaign), for its first message's rules.
        Migration("CRM attribution", sql: """
            CREATE TABLE crm_attribution (location TEXT NOT NULL, address TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (location, address)) STRICT;
            """),
        // Routing that acts as time passes: each contact's reply deadline and queue arrival,
        // copied from its state by every commit, so the timers find the next due contact and
        // the queue passes the waiting ones without reading every contact.
        Migration("reply deadlines and queues", sql: """
            ALTER TABLE contacts ADD COLUMN due_at REAL;
            ALTER TABLE contacts ADD COLUMN queued_at REAL;
            CREATE INDEX contacts_due ON contacts (due_at) WHERE due_at IS NOT NULL;
            CREATE INDEX contacts_queued ON contacts (location, queued_at) WHERE queued_at IS NOT NULL;
            """),
        // Locations moved to another router instance (`switchboardctl partition move`): their
        // events are answered "moved", retryable, until every sender has the new partition map.
        Migration("moved locations", sql: """
            CREATE TABLE moved_locations (location TEXT PRIMARY KEY, moved_to TEXT NOT NULL, at REAL NOT NULL) STRICT;
            """),
    ]

    /// SQL that counts `table`'s open rows per `user` column into `open_loads` under `kind`:
    /// triggers for every insert, reassignment, close, reopen and delete, then a backfill. (The
    /// backfill stands; a later migration drops the triggers.)
    private static func openLoadTriggers(table: String, user: String, kind: String) -> String {
        let add = """
            INSERT INTO open_loads (location, kind, user, count) VALUES (NEW.location, '\(kind)', NEW.\(user), 1)
                ON CONFLICT (location, kind, user) DO UPDATE SET count = count + 1;
            """
        let remove = "UPDATE open_loads SET count = count - 1 WHERE location = OLD.location AND kind = '\(kind)' AND user = OLD.\(user);"
        let counted = { (row: String) in "\(row).open = 1 AND \(row).\(user) IS NOT NULL" }
        return """
            CREATE TRIGGER \(table)_load_insert AFTER INSERT ON \(table) WHEN \(counted("NEW")) BEGIN \(add) END;
            CREATE TRIGGER \(table)_load_update_old AFTER UPDATE OF \(user), open ON \(table) WHEN \(counted("OLD")) BEGIN \(remove) END;
            CREATE TRIGGER \(table)_load_update_new AFTER UPDATE OF \(user), open ON \(table) WHEN \(counted("NEW")) BEGIN \(add) END;
            CREATE TRIGGER \(table)_load_delete AFTER DELETE ON \(table) WHEN \(counted("OLD")) BEGIN \(remove) END;
            INSERT INTO open_loads (location, kind, user, count)
                SELECT location, '\(kind)', \(user), COUNT(*) FROM \(table) WHERE open = 1 AND \(user) IS NOT NULL GROUP BY location, \(user);

            """
    }

    let store: Store

    init(path: String) throws {
        store = try Store(path: path, durability: .normal, migrations: Self.migrations)
    }

    // MARK: Configuration

    /// Every stored configuration with its version.
    func configs() async throws -> [(version: Int, config: LocationConfig)] {
        try await store.read { database in
            try database.rows("SELECT version, document FROM configs ORDER BY location") {
                ($0.int(0), try WireJSON.decode(LocationConfig.self, from: Array($0.string(1).utf8)))
            }
        }
    }

    /// Stores a configuration (atomically with its account index); returns its version and
    /// whether it changed.
    func putConfig(_ config: LocationConfig, document: String, now: Date) async throws -> (Int, Bool) {
        try await store.write { database in
            let current = try database.first("SELECT version, document FROM configs WHERE location = ?", [.text(config.location.id)]) { ($0.int(0), $0.string(1)) }
            if let current, current.1 == document { return (current.0, false) }
            for account in config.accounts {
                let owner = try database.first("SELECT location FROM accounts WHERE platform = ? AND address = ?", [.text(account.platform.rawValue), .text(account.address)]) { $0.string(0) }
                if let owner, owner != config.location.id {
                    throw WireError.conflict("account \(account.platform):\(account.address) already belongs to location \(owner)")
                }
            }
            let version = (current?.0 ?? 0) + 1
            try database.run(
                "INSERT INTO configs (location, version, document, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(location) DO UPDATE SET version = excluded.version, document = excluded.document, updated_at = excluded.updated_at",
                [.text(config.location.id), .integer(version), .text(document), .real(now.timeIntervalSince1970)])
            try database.run("DELETE FROM accounts WHERE location = ?", [.text(config.location.id)])
            for account in config.accounts {
                try database.run("INSERT INTO accounts (platform, address, location, account_id) VALUES (?, ?, ?, ?)",
                                 [.text(account.platform.rawValue), .text(account.address), .text(config.location.id), .text(account.id)])
            }
            return (version, true)
        }
    }

    // MARK: Reads for decisions

    func contact(location: String, address: String) async throws -> ContactState? {
        try await store.read { database in try Self.contact(database, location: location, address: address) }
    }

    /// The source GoHighLevel attributes the contact to (`CRMEvent.source`), kept for the rules
    /// of its first message when that message carries none of its own.
    static func attribution(_ database: Database, location: String, address: String) throws -> MessageSource? {
        try database.first("SELECT source FROM crm_attribution WHERE location = ? AND address = ?", [.text(location), .text(address)]) {
            try WireJSON.decode(MessageSource.self, from: Array($0.string(0).utf8))
        }
    }

    func saveAttribution(location: String, address: String, source: MessageSource) async throws {
        let text = String(decoding: try WireJSON.encode(source), as: UTF8.self)
        try await store.write { database in
            try database.run(
                "INSERT INTO crm_attribution (location, address, source) VALUES (?, ?, ?) ON CONFLICT(location, address) DO UPDATE SET source = excluded.source",
                [.text(location), .text(address), .text(text)])
        }
    }

    /// When the router last decided about the contact (nil: never).
    func latestDecisionAt(location: String, address: String) async throws -> Date? {
        try await store.read { database in
            try database.first("SELECT MAX(at) FROM decisions WHERE location = ? AND contact = ?", [.text(location), .text(address)]) {
                $0.optionalDouble(0).map { Date(timeIntervalSince1970: $0) }
            } ?? nil
        }
    }

    func contacts(location: String, ownedBy user: String) async throws -> [(ContactState, Double)] {
        try await store.read { database in
            try database.rows(
                """
                SELECT c.state, COALESCE(c.assigned_at, 0) FROM contacts c
                WHERE c.location = ?1 AND c.open = 1 AND c.manual = 0
                  AND (c.owner = ?2 OR EXISTS (SELECT 1 FROM threads t WHERE t.location = c.location AND t.address = c.address AND t.assignee = ?2))
                ORDER BY c.assigned_at
                """, [.text(location), .text(user)]
            ) { (try WireJSON.decode(ContactState.self, from: Array($0.string(0).utf8)), $0.double(1)) }
        }
    }

    /// Contacts of a location, most recently assigned first, each with the reason of its latest
    /// decision (nil before the first).
    func contacts(location: String, owner: String?, openOnly: Bool, limit: Int) async throws -> [(ContactState, DecisionReason?)] {
        try await store.read { database in
            try database.rows(
                """
                SELECT c.state, (SELECT d.reason FROM decisions d WHERE d.location = c.location AND d.contact = c.address ORDER BY d.seq DESC LIMIT 1)
                FROM contacts c WHERE c.location = ?1 AND (?2 IS NULL OR c.owner = ?2) AND (?3 = 0 OR c.open = 1)
                ORDER BY c.assigned_at DESC, c.address LIMIT ?4
                """, [.text(location), SQLValue(owner), .bool(openOnly), .integer(limit)]
            ) { row in
                (try WireJSON.decode(ContactState.self, from: Array(row.string(0).utf8)), try row.isNull(1) ? nil : row.word(1, as: DecisionReason.self))
            }
        }
    }

    /// Open contacts (or threads) per user, from the counts each commit keeps.
    func allLoads(location: String, threads: Bool) async throws -> [String: Int] {
        try await store.read { database in try Self.openLoads(database, location: location, kind: threads ? .thread : .contact) }
    }

    static func openLoads(_ database: Database, location: String, kind: OpenLoad.Kind) throws -> [String: Int] {
        var loads: [String: Int] = [:]
        try database.query("SELECT user, count FROM open_loads WHERE location = ? AND kind = ? AND count > 0", [.text(location), .text(kind.rawValue)]) {
            loads[$0.string(0)] = $0.int(1)
        }
        return loads
    }


    func history(location: String, contact: String) async throws -> [DecisionRecord] {
        try await store.read { database in
            try database.rows(
                "SELECT seq, event, account, user, reason, rule, tag, strategy, message_id, at, first_response_at, trace FROM decisions WHERE location = ? AND contact = ? ORDER BY seq",
                [.text(location), .text(contact)]
            ) { row in
                DecisionRecord(
                    seq: row.int(0), event: row.string(1), account: row.optionalString(2), user: row.optionalString(3), reason: try row.word(4, as: DecisionReason.self),
                    rule: row.optionalString(5), tag: row.optionalString(6), strategy: row.optionalString(7), messageId: row.optionalString(8),
                    at: Date(timeIntervalSince1970: row.double(9)), firstResponseAt: row.optionalDouble(10).map { Date(timeIntervalSince1970: $0) },
                    trace: try WireJSON.decode(DecisionTrace.self, from: Array(row.string(11).utf8)))
            }
        }
    }

    // MARK: Simulate

    /// Stored inbound messages of `location` in `[since, until)`, in time order, with the user
    /// each one's decision named.
    /// The location's events of the window in time order, as `simulate` replays them: each
    /// inbound message with the user it went to, and the other contact events (a message
    /// first where both have the same instant).
    func replayEvents(location: String, since: Date, until: Date) async throws -> [Simulation.Event] {
        let window: [SQLValue] = [.text(location), .real(since.timeIntervalSince1970), .real(until.timeIntervalSince1970)]
        return try await store.read { database in
            let messages = try database.rows("SELECT message, user, at FROM inbound_messages WHERE location = ? AND at >= ? AND at < ? ORDER BY at", window) {
                (at: $0.double(2), event: Simulation.Event.message(
                    try WireJSON.decode(InboundMessage.self, from: Array($0.string(0).utf8)), actual: $0.optionalString(1)))
            }
            let others = try database.rows("SELECT event, at FROM contact_events WHERE location = ? AND at >= ? AND at < ? ORDER BY seq", window) {
                (at: $0.double(1), event: Simulation.Event.contact(try WireJSON.decode(LoggedContactEvent.self, from: Array($0.string(0).utf8))))
            }
            // Among equal instants, messages first, then each table's own order.
            let sorted = (messages + others).enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            return sorted.map(\.element.event)
        }
    }

    // MARK: Outbox

    /// An outbox row: its item's JSON as stored (sent on without re-encoding), and its sequence.
    struct OutboxRow: Sendable {
        var seq: Int
        var json: String
    }

    /// The oldest outbox rows after sequence `after`.
    func outbox(after: Int, limit: Int) async throws -> [OutboxRow] {
        try await store.read { database in
            try database.rows("SELECT seq, item FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", [.integer(after), .integer(limit)]) {
                OutboxRow(seq: $0.int(0), json: $0.string(1))
            }
        }
    }

    /// Deletes delivered outbox rows with the next commit (``Store/deferWrite(within:_:completion:)``):
    /// should the delete be lost in a crash, the rows go again and the notifier, which
    /// deduplicates by item id, takes them once. `completion` hears when it committed.
    func acknowledge(_ seqs: [Int], completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        store.deferWrite({ database in
            for seq in seqs { try database.run("DELETE FROM outbox WHERE seq = ?", [.integer(seq)]) }
        }, completion: completion)
    }

    func outboxCount() async throws -> Int {
        try await store.read { try $0.first("SELECT COUNT(*) FROM outbox") { $0.int(0) } ?? 0 }
    }

    /// Open contacts of every location (for `/metrics`).
    func openContactCount() async throws -> Int {
        try await store.read { try $0.first("SELECT COUNT(*) FROM contacts WHERE open = 1") { $0.int(0) } ?? 0 }
    }

    func close() { store.close() }
}
