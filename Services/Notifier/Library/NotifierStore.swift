import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// The notifier's SQLite file: enqueued items, their deliveries (one per channel, one per CRM
/// update), attempts and dead letters, GoHighLevel contact ids with the owner Switchboard last
/// wrote there, OAuth tokens (refresh tokens rotate, so the latest is kept here), and the owners
/// found in GoHighLevel on their way to the router.
///
/// Intake commits before `notifier.enqueue` answers; an id already committed adds nothing.
final class NotifierStore: Sendable {
    static let migrations = [
        Migration("items and deliveries", sql: """
            CREATE TABLE items (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL,
                location TEXT NOT NULL,
                recipient TEXT,
                kind TEXT,
                contact TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at REAL NOT NULL) STRICT;
            CREATE TABLE deliveries (
                id TEXT PRIMARY KEY,
                item_id TEXT NOT NULL REFERENCES items(id),
                channel TEXT NOT NULL,
                target TEXT,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                created_at REAL NOT NULL,
                delivered_at REAL,
                last_status INTEGER,
                last_error TEXT,
                contact_key TEXT,
                sequence INTEGER) STRICT;
            CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
            CREATE INDEX deliveries_contact ON deliveries (contact_key, status, sequence);
            CREATE TABLE crm_contacts (
                location TEXT NOT NULL,
                contact TEXT NOT NULL,
                ghl_id TEXT,
                applied_sequence INTEGER NOT NULL DEFAULT -1,
                PRIMARY KEY (location, contact)) STRICT;
            """),
        // Each delivery was written to four trees (rows, its id, due, per-contact) and moved in
        // two of them when it finished. Rows now live in the id's tree, and the due and
        // per-contact indexes hold only what the queries look for: pending deliveries, and
        // pending CRM updates (the only ones with a contact key).
        Migration("fewer pages written per delivery", sql: """
            CREATE TABLE deliveries_new (
                id TEXT PRIMARY KEY,
                item_id TEXT NOT NULL REFERENCES items(id),
                channel TEXT NOT NULL,
                target TEXT,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                created_at REAL NOT NULL,
                delivered_at REAL,
                last_status INTEGER,
                last_error TEXT,
                contact_key TEXT,
                sequence INTEGER) STRICT, WITHOUT ROWID;
            INSERT INTO deliveries_new SELECT id, item_id, channel, target, status, attempts, next_attempt_at, created_at, delivered_at,
                last_status, last_error, contact_key, sequence FROM deliveries;
            DROP TABLE deliveries;
            ALTER TABLE deliveries_new RENAME TO deliveries;
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
            CREATE INDEX deliveries_contact ON deliveries (contact_key, sequence) WHERE contact_key IS NOT NULL AND status = 'pending';
            """),
        Migration("GoHighLevel both ways", sql: """
            ALTER TABLE crm_contacts ADD COLUMN written_owner TEXT;
            ALTER TABLE crm_contacts ADD COLUMN owner_written INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE crm_tokens (
                location TEXT PRIMARY KEY,
                access_token TEXT,
                refresh_token TEXT NOT NULL,
                expires_at REAL) STRICT;
            CREATE TABLE crm_owner_reports (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                report TEXT NOT NULL) STRICT;
            """),
    ]

    let store: Store

    init(path: String) throws {
        store = try Store(path: path, durability: .normal, migrations: Self.migrations)
    }

    /// What an enqueue committed: how many items were new, the notification deliveries it
    /// created, due now, and how many new CRM updates it left to the delivery loop (which orders
    /// each contact's).
    struct Enqueued: Sendable {
        var accepted = 0
        var fresh: [DueDelivery] = []
        var crmUpdates = 0
    }

    /// Commits the items not seen before; `committed` gets what was new, on the store's thread
    /// once it is durable.
    ///
    /// A CRM update for a location without a GoHighLevel credential (`syncsCRM` false) is
    /// recorded as skipped at once: attempting it could only skip it, and each attempt cost the
    /// delivery loop a wake-up, a query and a commit.
    func enqueue(
        _ items: [(OutboxItem, String)], now: Date, syncsCRM: @escaping @Sendable (String) -> Bool = { _ in true },
        committed: @escaping @Sendable (Result<Enqueued, any Error>) -> Void
    ) {
        store.enqueueWrite({ database in
            var enqueued = Enqueued()
            for (item, payload) in items {
                guard case .inserted(let pendingCRMUpdate) = try Self.insert(item, payload: payload, now: now.timeIntervalSince1970, syncsCRM: syncsCRM, into: database)
                else { continue }
                enqueued.accepted += 1
                if pendingCRMUpdate { enqueued.crmUpdates += 1 }
                for (index, channel) in (item.notification?.channels ?? []).enumerated() {
                    enqueued.fresh.append(DueDelivery(
                        id: "\(item.id)/\(index)", channel: channel.channel.rawValue, target: channel.url ?? channel.path, attempts: 0,
                        createdAt: now, item: item, contactKey: nil))
                }
            }
            return enqueued
        }, completion: committed)
    }

    private enum Inserted {
        /// Its id was already committed: nothing written.
        case duplicate
        /// Written; `pendingCRMUpdate`: a CRM update left to the delivery loop (not skipped).
        case inserted(pendingCRMUpdate: Bool)
    }

    /// Inserts `item` and its deliveries.
    private static func insert(_ item: OutboxItem, payload: String, now: Double, syncsCRM: (String) -> Bool, into database: Database) throws -> Inserted {
        if let notification = item.notification {
            try database.run(
                "INSERT OR IGNORE INTO items (id, type, location, recipient, kind, contact, payload, created_at) VALUES (?, 'notification', ?, ?, ?, ?, ?, ?)",
                [.text(item.id), .text(notification.location), .text(notification.recipient), .text(notification.kind.rawValue),
                 .text(notification.contact), .text(payload), .real(now)])
            guard database.changes == 1 else { return .duplicate }
            if notification.channels.isEmpty {
                try database.run(
                    "INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, last_error) VALUES (?, ?, 'none', 'skipped', ?, ?, 'the user has no notify channel')",
                    [.text(item.id), .text(item.id), .real(now), .real(now)])
            }
            for (index, channel) in notification.channels.enumerated() {
                try database.run(
                    "INSERT INTO deliveries (id, item_id, channel, target, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                    [.text("\(item.id)/\(index)"), .text(item.id), .text(channel.channel.rawValue), SQLValue(channel.url ?? channel.path), .real(now), .real(now)])
            }
        } else if let crm = item.crm {
            try database.run(
                "INSERT OR IGNORE INTO items (id, type, location, contact, payload, created_at) VALUES (?, 'crm', ?, ?, ?, ?)",
                [.text(item.id), .text(crm.location), .text(crm.contact), .text(payload), .real(now)])
            guard database.changes == 1 else { return .duplicate }
            guard syncsCRM(crm.location) else {
                try database.run(
                    "INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, last_error) VALUES (?, ?, 'crm', 'skipped', ?, ?, ?)",
                    [.text(item.id), .text(item.id), .real(now), .real(now), .text("CRM sync is not configured for \(crm.location)")])
                return .inserted(pendingCRMUpdate: false)
            }
            try database.run(
                "INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, contact_key, sequence) VALUES (?, ?, 'crm', 'pending', ?, ?, ?, ?)",
                [.text(item.id), .text(item.id), .real(now), .real(now), .text("\(crm.location)|\(crm.contact)"), .integer(crm.sequence)])
            return .inserted(pendingCRMUpdate: true)
        } else {
            throw WireError.badRequest("item \(item.id) has neither notification nor crm")
        }
        return .inserted(pendingCRMUpdate: false)
    }

    /// A delivery ready to attempt, with its item.
    struct DueDelivery: Sendable {
        var id: String
        var channel: String
        var target: String?
        var attempts: Int
        var createdAt: Date
        var item: OutboxItem
        var contactKey: String?
    }

    /// Pending deliveries due by `now`, oldest first; for CRM updates only the oldest pending
    /// update of each contact (updates of one contact are applied in order).
    func due(now: Date, limit: Int, excluding busy: Set<String>, busyContacts: Set<String>) async throws -> [DueDelivery] {
        try await store.read { database in
            var result: [DueDelivery] = []
            try database.query(
                """
                SELECT d.id, d.channel, d.target, d.attempts, d.created_at, i.payload, d.contact_key
                FROM deliveries d JOIN items i ON i.id = d.item_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ?
                  AND (d.channel != 'crm' OR NOT EXISTS (
                      SELECT 1 FROM deliveries e
                      WHERE e.contact_key = d.contact_key AND e.status = 'pending' AND e.sequence < d.sequence))
                ORDER BY d.next_attempt_at LIMIT ?
                """, [.real(now.timeIntervalSince1970), .integer(limit + busy.count)]
            ) { row in
                let id = row.string(0)
                let contactKey = row.optionalString(6)
                guard !busy.contains(id), contactKey.map({ !busyContacts.contains($0) }) ?? true else { return }
                let item = try WireJSON.decode(OutboxItem.self, from: Array(row.string(5).utf8))
                result.append(DueDelivery(
                    id: id, channel: row.string(1), target: row.optionalString(2), attempts: row.int(3),
                    createdAt: Date(timeIntervalSince1970: row.double(4)), item: item, contactKey: contactKey))
            }
            return Array(result.prefix(limit))
        }
    }

    /// The earliest time a pending delivery comes due, if any.
    func nextDue() async throws -> Date? {
        try await store.read { database in
            try database.first("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'") { $0.optionalDouble(0) }
                .flatMap { $0 }.map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// What an attempt came to.
    enum Outcome: Sendable {
        /// `note`: what the attempt decided besides, kept as the delivery's last word.
        case delivered(status: Int?, note: String? = nil)
        case retry(at: Date, status: Int?, error: String, countsAsAttempt: Bool)
        case dead(status: Int?, error: String)
        case skipped(String)

        /// The delivery stays pending, due again at a new time.
        var isRetry: Bool {
            if case .retry = self { return true }
            return false
        }
    }

    /// Records an attempt's outcome; `completion` runs on the store's thread once it is committed.
    ///
    /// `withNextCommit`: the outcome rides on the next transaction the store commits anyway (an
    /// enqueue's), or commits alone within 50 ms (``Store/deferWrite(within:_:completion:)``),
    /// instead of a transaction of its own. A crash before then attempts the delivery again after
    /// the restart, as a crash during an attempt does: for a delivery that costs less than its own
    /// commit (a file line, which carries its delivery id for the reader to deduplicate).
    func record(
        _ deliveryID: String, _ outcome: Outcome, now: Date, withNextCommit: Bool = false,
        completion: @escaping @Sendable (Result<Void, any Error>) -> Void
    ) {
        let time = now.timeIntervalSince1970
        let write: @Sendable (Database) throws -> Void = { database in
            switch outcome {
            case .delivered(let status, let note):
                try database.run(
                    "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_status = ?, last_error = ? WHERE id = ?",
                    [.real(time), SQLValue(status), SQLValue(note), .text(deliveryID)])
            case .retry(let at, let status, let error, let counts):
                try database.run(
                    "UPDATE deliveries SET attempts = attempts + ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ? AND status = 'pending'",
                    [.integer(counts ? 1 : 0), .real(at.timeIntervalSince1970), SQLValue(status), .text(error), .text(deliveryID)])
            case .dead(let status, let error):
                try database.run(
                    "UPDATE deliveries SET status = 'dead', attempts = attempts + 1, last_status = ?, last_error = ? WHERE id = ?",
                    [SQLValue(status), .text(error), .text(deliveryID)])
            case .skipped(let reason):
                try database.run("UPDATE deliveries SET status = 'skipped', last_error = ? WHERE id = ?", [.text(reason), .text(deliveryID)])
            }
        }
        if withNextCommit {
            store.deferWrite(write, completion: completion)
        } else {
            store.enqueueWrite(write, completion: completion)
        }
    }

    // MARK: GoHighLevel contact state

    /// What the notifier knows of a contact in GoHighLevel.
    struct CRMContact: Sendable, Equatable {
        var ghlID: String?
        var appliedSequence = -1
        /// The `assignedTo` Switchboard last wrote (or found and kept); meaningful when `ownerWritten`.
        var writtenOwner: String?
        var ownerWritten = false
    }

    func crmContact(location: String, contact: String) async throws -> CRMContact {
        try await store.read { database in
            try database.first(
                "SELECT ghl_id, applied_sequence, written_owner, owner_written FROM crm_contacts WHERE location = ? AND contact = ?",
                [.text(location), .text(contact)]
            ) { CRMContact(ghlID: $0.optionalString(0), appliedSequence: $0.int(1), writtenOwner: $0.optionalString(2), ownerWritten: $0.bool(3)) }
                ?? CRMContact()
        }
    }

    /// Records a contact's GoHighLevel id; with `applied`, also the update's sequence and the
    /// owner GoHighLevel has after it.
    func saveCRMContact(location: String, contact: String, ghlID: String?, applied: (sequence: Int, owner: String?)? = nil) async throws {
        try await store.write { database in
            try database.run(
                """
                INSERT INTO crm_contacts (location, contact, ghl_id, applied_sequence, written_owner, owner_written) VALUES (?1, ?2, ?3, COALESCE(?4, -1), ?5, ?6)
                ON CONFLICT(location, contact) DO UPDATE SET
                    ghl_id = COALESCE(excluded.ghl_id, crm_contacts.ghl_id),
                    applied_sequence = MAX(crm_contacts.applied_sequence, COALESCE(?4, -1)),
                    written_owner = CASE WHEN ?6 = 1 THEN ?5 ELSE crm_contacts.written_owner END,
                    owner_written = MAX(crm_contacts.owner_written, ?6)
                """, [.text(location), .text(contact), SQLValue(ghlID), SQLValue(applied?.sequence), SQLValue(applied?.owner), .bool(applied != nil)])
        }
    }

    /// Forgets a contact's GoHighLevel id (the contact was deleted there: 404): the next write
    /// upserts it again. What Switchboard wrote is forgotten with it.
    func forgetCRMContact(location: String, contact: String) async throws {
        try await store.write { database in
            try database.run(
                "UPDATE crm_contacts SET ghl_id = NULL, written_owner = NULL, owner_written = 0 WHERE location = ? AND contact = ?",
                [.text(location), .text(contact)])
        }
    }

    // MARK: GoHighLevel tokens and owner reports

    struct StoredToken: Sendable, Equatable {
        var accessToken: String?
        var refreshToken: String
        var expiresAt: Date?
    }

    func crmToken(location: String) async throws -> StoredToken? {
        try await store.read { database in
            try database.first("SELECT access_token, refresh_token, expires_at FROM crm_tokens WHERE location = ?", [.text(location)]) {
                StoredToken(accessToken: $0.optionalString(0), refreshToken: $0.string(1), expiresAt: $0.optionalDouble(2).map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    func saveCRMToken(location: String, _ token: StoredToken) async throws {
        try await store.write { database in
            try database.run(
                """
                INSERT INTO crm_tokens (location, access_token, refresh_token, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(location) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token, expires_at = excluded.expires_at
                """, [.text(location), SQLValue(token.accessToken), .text(token.refreshToken), SQLValue(token.expiresAt?.timeIntervalSince1970)])
        }
    }

    /// Keeps an owner found in GoHighLevel until the router has it (``CRMOwnerReports``).
    func addOwnerReport(_ report: CRMEvent) async throws {
        let text = String(decoding: try WireJSON.encode(report), as: UTF8.self)
        try await store.write { database in
            try database.run("INSERT OR IGNORE INTO crm_owner_reports (id, report) VALUES (?, ?)", [.text(report.id), .text(text)])
        }
    }

    func ownerReports(limit: Int) async throws -> [CRMEvent] {
        try await store.read { database in
            try database.rows("SELECT report FROM crm_owner_reports ORDER BY seq LIMIT ?", [.integer(Int64(limit))]) {
                try WireJSON.decode(CRMEvent.self, from: Array($0.string(0).utf8))
            }
        }
    }

    func ownerReportCount() async throws -> Int {
        try await store.read { try $0.first("SELECT COUNT(*) FROM crm_owner_reports") { $0.int(0) } ?? 0 }
    }

    func removeOwnerReport(id: String) async throws {
        try await store.write { database in try database.run("DELETE FROM crm_owner_reports WHERE id = ?", [.text(id)]) }
    }

    // MARK: Queries

    struct DeliveryRecord: Codable, Sendable {
        var id: String
        var itemID: String
        var channel: String
        var target: String?
        var status: String
        var attempts: Int
        var lastStatus: Int?
        var lastError: String?
        var recipient: String?
        var kind: String?
        var contact: String
        var location: String
        /// When a pending delivery is tried next.
        var nextAttemptAt: Date?
        enum CodingKeys: String, CodingKey { case id, itemID = "item", channel, target, status, attempts, lastStatus, lastError, recipient, kind, contact, location, nextAttemptAt }
    }

    func deliveries(status: String?, user: String?, contact: String?, limit: Int) async throws -> [DeliveryRecord] {
        try await store.read { database in
            try database.rows(
                """
                SELECT d.id, d.item_id, d.channel, d.target, d.status, d.attempts, d.last_status, d.last_error, i.recipient, i.kind, i.contact, i.location,
                       d.next_attempt_at
                FROM deliveries d JOIN items i ON i.id = d.item_id
                WHERE (?1 IS NULL OR d.status = ?1) AND (?2 IS NULL OR i.recipient = ?2) AND (?3 IS NULL OR i.contact = ?3)
                ORDER BY i.seq, d.id LIMIT ?4
                """, [SQLValue(status), SQLValue(user), SQLValue(contact), .integer(limit)]
            ) { row in
                DeliveryRecord(
                    id: row.string(0), itemID: row.string(1), channel: row.string(2), target: row.optionalString(3), status: row.string(4),
                    attempts: row.int(5), lastStatus: row.optionalInt(6), lastError: row.optionalString(7), recipient: row.optionalString(8),
                    kind: row.optionalString(9), contact: row.string(10), location: row.string(11),
                    nextAttemptAt: row.string(4) == "pending" ? Date(timeIntervalSince1970: row.double(12)) : nil)
            }
        }
    }

    struct ItemRecord: Codable, Sendable {
        var seq: Int
        var item: OutboxItem
        /// When the notifier committed the item (load generator latency).
        var createdAt: Date
        enum CodingKeys: String, CodingKey { case seq, item, createdAt }
    }

    /// Items committed after cursor `after`, in intake order.
    func items(after: Int, limit: Int) async throws -> [ItemRecord] {
        try await store.read { database in
            try database.rows("SELECT seq, payload, created_at FROM items WHERE seq > ? ORDER BY seq LIMIT ?", [.integer(after), .integer(limit)]) { row in
                ItemRecord(seq: row.int(0), item: try WireJSON.decode(OutboxItem.self, from: Array(row.string(1).utf8)),
                           createdAt: Date(timeIntervalSince1970: row.double(2)))
            }
        }
    }

    /// Counts by status.
    func counts() async throws -> [String: Int] {
        try await store.read { database in
            var counts = ["pending": 0, "delivered": 0, "dead": 0, "skipped": 0]
            try database.query("SELECT status, COUNT(*) FROM deliveries GROUP BY status") { counts[$0.string(0)] = $0.int(1) }
            return counts
        }
    }

    /// Puts dead letters (all, or the listed ones) back in the queue; returns how many.
    func retryDead(ids: [String]?, now: Date) async throws -> Int {
        try await store.write { database in
            if let ids {
                var count = 0
                for id in ids {
                    try database.run(
                        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND status = 'dead'",
                        [.real(now.timeIntervalSince1970), .text(id)])
                    count += database.changes
                }
                return count
            }
            try database.run(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'dead'",
                [.real(now.timeIntervalSince1970)])
            return database.changes
        }
    }

    func close() { store.close() }
}
