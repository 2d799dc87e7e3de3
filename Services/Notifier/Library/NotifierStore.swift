import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// The notifier's SQLite file: enqueued items, their deliveries (one per channel, one per CRM
/// update), attempts and dead letters, and GoHighLevel contact ids.
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
    func enqueue(_ items: [(OutboxItem, String)], now: Date, committed: @escaping @Sendable (Result<Enqueued, any Error>) -> Void) {
        store.enqueueWrite({ database in
            var enqueued = Enqueued()
            for (item, payload) in items where try Self.insert(item, payload: payload, now: now.timeIntervalSince1970, into: database) {
                enqueued.accepted += 1
                if item.crm != nil { enqueued.crmUpdates += 1 }
                for (index, channel) in (item.notification?.channels ?? []).enumerated() {
                    enqueued.fresh.append(DueDelivery(
                        id: "\(item.id)/\(index)", channel: channel.channel.rawValue, target: channel.url ?? channel.path, attempts: 0,
                        createdAt: now, item: item, contactKey: nil))
                }
            }
            return enqueued
        }, completion: committed)
    }

    /// Inserts `item` and its deliveries; false when its id was already committed.
    private static func insert(_ item: OutboxItem, payload: String, now: Double, into database: Database) throws -> Bool {
        if let notification = item.notification {
            try database.run(
                "INSERT OR IGNORE INTO items (id, type, location, recipient, kind, contact, payload, created_at) VALUES (?, 'notification', ?, ?, ?, ?, ?, ?)",
                [.text(item.id), .text(notification.location), .text(notification.recipient), .text(notification.kind.rawValue),
                 .text(notification.contact), .text(payload), .real(now)])
            guard database.changes == 1 else { return false }
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
            guard database.changes == 1 else { return false }
            try database.run(
                "INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, contact_key, sequence) VALUES (?, ?, 'crm', 'pending', ?, ?, ?, ?)",
                [.text(item.id), .text(item.id), .real(now), .real(now), .text("\(crm.location)|\(crm.contact)"), .integer(crm.sequence)])
        } else {
            throw WireError.badRequest("item \(item.id) has neither notification nor crm")
        }
        return true
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
        case delivered(status: Int?)
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
    func record(_ deliveryID: String, _ outcome: Outcome, now: Date, completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let time = now.timeIntervalSince1970
        store.enqueueWrite({ database in
            switch outcome {
            case .delivered(let status):
                try database.run(
                    "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_status = ?, last_error = NULL WHERE id = ?",
                    [.real(time), SQLValue(status), .text(deliveryID)])
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
        }, completion: completion)
    }

    // MARK: GoHighLevel contact state

    func crmContact(location: String, contact: String) async throws -> (ghlID: String?, appliedSequence: Int) {
        try await store.read { database in
            try database.first(
                "SELECT ghl_id, applied_sequence FROM crm_contacts WHERE location = ? AND contact = ?", [.text(location), .text(contact)]
            ) { ($0.optionalString(0), $0.int(1)) } ?? (nil, -1)
        }
    }

    func saveCRMContact(location: String, contact: String, ghlID: String?, appliedSequence: Int?) async throws {
        try await store.write { database in
            try database.run(
                """
                INSERT INTO crm_contacts (location, contact, ghl_id, applied_sequence) VALUES (?, ?, ?, COALESCE(?, -1))
                ON CONFLICT(location, contact) DO UPDATE SET
                    ghl_id = COALESCE(excluded.ghl_id, crm_contacts.ghl_id),
                    applied_sequence = MAX(crm_contacts.applied_sequence, COALESCE(?, -1))
                """, [.text(location), .text(contact), SQLValue(ghlID), SQLValue(appliedSequence), SQLValue(appliedSequence)])
        }
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
        enum CodingKeys: String, CodingKey { case id, itemID = "item", channel, target, status, attempts, lastStatus, lastError, recipient, kind, contact, location }
    }

    func deliveries(status: String?, user: String?, contact: String?, limit: Int) async throws -> [DeliveryRecord] {
        try await store.read { database in
            try database.rows(
                """
                SELECT d.id, d.item_id, d.channel, d.target, d.status, d.attempts, d.last_status, d.last_error, i.recipient, i.kind, i.contact, i.location
                FROM deliveries d JOIN items i ON i.id = d.item_id
                WHERE (?1 IS NULL OR d.status = ?1) AND (?2 IS NULL OR i.recipient = ?2) AND (?3 IS NULL OR i.contact = ?3)
                ORDER BY i.seq, d.id LIMIT ?4
                """, [SQLValue(status), SQLValue(user), SQLValue(contact), .integer(limit)]
            ) { row in
                DeliveryRecord(
                    id: row.string(0), itemID: row.string(1), channel: row.string(2), target: row.optionalString(3), status: row.string(4),
                    attempts: row.int(5), lastStatus: row.optionalInt(6), lastError: row.optionalString(7), recipient: row.optionalString(8),
                    kind: row.optionalString(9), contact: row.string(10), location: row.string(11))
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
