import Foundation
import Synchronization
import SwitchboardCodec
public import SwitchboardDomain
import SwitchboardStore

/// One event of the inbox: an inbound message or a reply, as the forwarder hands it on.
public enum InboxEvent: Sendable, Equatable {
    case inbound(InboundMessage)
    case reply(ReplyEvent)
    /// A change a person made in GoHighLevel (its webhook id is the message id).
    case crm(CRMEvent)

    var kind: String {
        switch self {
        case .inbound: "inbound"
        case .reply: "reply"
        case .crm: "crm"
        }
    }

    /// The router op the event goes to.
    static func operation(kind: String) -> String {
        switch kind {
        case "reply": "router.reply"
        case "crm": "router.crm_event"
        default: "router.route"
        }
    }

    var platform: Platform {
        switch self {
        case .inbound(let message): message.platform
        case .reply(let reply): reply.platform
        case .crm: .ghl
        }
    }

    var messageID: String {
        switch self {
        case .inbound(let message): message.messageId
        case .reply(let reply): reply.messageId
        case .crm(let event): event.id
        }
    }

    /// What chooses the router instance (``PartitionKey``): the account written to or from,
    /// whose location the routers know, or the location a GoHighLevel event names.
    var partitionKey: PartitionKey {
        switch self {
        case .inbound, .reply: .account(platform: platform, address: ContactAddress.normalize(account))
        case .crm(let event): .location(event.location)
        }
    }

    var contact: String {
        switch self {
        case .inbound(let message): message.contact
        case .reply(let reply): reply.contact
        case .crm(let event): event.contact
        }
    }

    /// Why the event cannot be stored (nil: it can): an empty id, or a contact or account that
    /// normalizes to nothing usable (empty, a bare `+`). Checked at the intake for every
    /// provider, so garbage is refused there rather than stored and rejected later.
    var malformation: String? {
        switch self {
        case .inbound, .reply:
            let account = self.account
            if messageID.isEmpty { return "\(platform.rawValue) event without an id" }
            if !ContactAddress.isUsable(contact) { return "\(platform.rawValue) event \(messageID) without a usable contact" }
            if !ContactAddress.isUsable(account) { return "\(platform.rawValue) event \(messageID) without a usable account" }
            return nil
        case .crm(let event):
            if event.id.isEmpty { return "GoHighLevel event without a webhook id" }
            return ContactAddress.isUsable(event.contact) ? nil : "GoHighLevel event \(event.id) without a usable contact"
        }
    }

    var account: String {
        switch self {
        case .inbound(let message): message.account
        case .reply(let reply): reply.account
        case .crm(let event): event.location
        }
    }

    /// The same event about `contact`.
    func with(contact: String) -> InboxEvent {
        switch self {
        case .inbound(var message):
            message.contact = contact
            return .inbound(message)
        case .reply(var reply):
            reply.contact = contact
            return .reply(reply)
        case .crm(var event):
            event.contact = contact
            return .crm(event)
        }
    }

    /// The JSON the router is sent.
    func payload() throws -> [UInt8] {
        switch self {
        case .inbound(let message): message.jsonBytes
        case .reply(let reply): try WireJSON.encode(reply)
        case .crm(let change): try WireJSON.encode(change)
        }
    }
}

/// The adapters' SQLite file: provider channels and the inbound inbox.
///
/// The inbox is written with `synchronous=FULL` and group commit: Twilio never redelivers an
/// inbound SMS, so a webhook is answered only once its event is on disk. An event already in the
/// inbox (same kind, platform and provider message id) is not stored twice.
final class AdaptersStore: Sendable {
    static let migrations = [
        Migration("channels and inbox", sql: """
            CREATE TABLE channels (
                id TEXT PRIMARY KEY,
                platform TEXT NOT NULL,
                account TEXT NOT NULL,
                record TEXT NOT NULL,
                UNIQUE (platform, account)) STRICT;
            CREATE TABLE inbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                platform TEXT NOT NULL,
                message_id TEXT NOT NULL,
                contact TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                received_at REAL NOT NULL,
                finished_at REAL,
                UNIQUE (kind, platform, message_id)) STRICT;
            CREATE INDEX inbox_pending ON inbox (status, seq);
            """),
        // One WhatsApp person, two identifiers: each phone number and business-scoped user id
        // seen maps to the contact key the person was first known by.
        Migration("WhatsApp identities", sql: """
            CREATE TABLE whatsapp_identities (identifier TEXT PRIMARY KEY, contact TEXT NOT NULL) STRICT;
            """),
        // Which router instance an event goes to (docs/scaling.md); NULL for events stored
        // before routers were partitioned, which go to the first instance.
        Migration("partition keys", sql: """
            ALTER TABLE inbox ADD COLUMN partition_key TEXT;
            """),
    ]

    let store: Store
    /// Channels, read on every webhook; reloaded after each `put_channel`.
    private let channels = Mutex<[AdapterChannel]>([])

    init(path: String) async throws {
        store = try Store(path: path, durability: .full, migrations: Self.migrations)
        let loaded = try await store.read { database in
            try database.rows("SELECT record FROM channels ORDER BY id") { try WireJSON.decode(AdapterChannel.self, from: Array($0.string(0).utf8)) }
        }
        channels.withLock { $0 = loaded }
    }

    var allChannels: [AdapterChannel] { channels.withLock { $0 } }

    func putChannel(_ channel: AdapterChannel) async throws {
        let record = String(decoding: try WireJSON.encode(channel), as: UTF8.self)
        try await store.write { database in
            try database.run("DELETE FROM channels WHERE platform = ? AND account = ? AND id != ?", [.text(channel.platform.rawValue), .text(channel.account), .text(channel.id)])
            try database.run(
                "INSERT INTO channels (id, platform, account, record) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET platform = excluded.platform, account = excluded.account, record = excluded.record",
                [.text(channel.id), .text(channel.platform.rawValue), .text(channel.account), .text(record)])
        }
        channels.withLock { channels in
            channels.removeAll { $0.id == channel.id || ($0.platform == channel.platform && $0.account == channel.account) }
            channels.append(channel)
            channels.sort { $0.id < $1.id }
        }
    }

    /// Commits events not seen before; `completion` gets how many were new, after the commit.
    ///
    /// `committed` gets the new rows on the store's thread right after the commit, in commit
    /// order with every other commit and with ``readPending(limit:after:take:)``: the forwarder
    /// takes events from both without missing or doubling one. `completion` runs there too, just
    /// after it.
    ///
    /// `identities` (WhatsApp's, parallel to `events`) are linked in the same transaction, and an
    /// event's contact becomes the key its person was first known by (``contactKey(_:in:)``).
    func store(
        _ events: [InboxEvent], identities: [WhatsAppIdentity] = [], receivedAt: Date, committed: @escaping @Sendable ([Pending]) -> Void,
        completion: @escaping @Sendable (Result<Int, any Error>) -> Void
    ) {
        let rows: [(InboxEvent, [UInt8])]
        do {
            rows = try events.map { ($0, try $0.payload()) }
        } catch {
            return completion(.failure(error))
        }
        store.enqueueWrite({ database -> [Pending] in
            var added: [Pending] = []
            for (index, (stated, statedPayload)) in rows.enumerated() {
                var event = stated
                var payload = statedPayload
                if index < identities.count, !identities[index].isEmpty {
                    let key = try Self.contactKey(identities[index], in: database)
                    if key != event.contact {
                        event = event.with(contact: key)
                        payload = try event.payload()
                    }
                }
                let partitionKey = event.partitionKey
                try database.run(
                    "INSERT OR IGNORE INTO inbox (kind, platform, message_id, contact, payload, status, received_at, partition_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(event.kind), .text(event.platform.rawValue), .text(event.messageID), .text(event.contact),
                     .text(String(decoding: payload, as: UTF8.self)), .text(InboxStatus.pending.rawValue), .real(receivedAt.timeIntervalSince1970),
                     .text(partitionKey.description)])
                if database.changes > 0 {
                    added.append(Pending(
                        seq: Int(database.lastInsertRowID), kind: event.kind, contact: event.contact, payload: payload, partitionKey: partitionKey))
                }
            }
            return added
        }, completion: { result in
            if case .success(let added) = result, !added.isEmpty { committed(added) }
            completion(result.map(\.count))
        })
    }

    /// The contact key of a WhatsApp person: the key the person was first known by (a phone
    /// number, or a BSUID when they first wrote without one); links every identifier of
    /// `identity` to it. (Two keys already in use for one person, a phone and a BSUID each seen
    /// alone before a payload names both, are not merged: routing has two contacts; the phone's
    /// key wins from then on.)
    static func contactKey(_ identity: WhatsAppIdentity, in database: Database) throws -> String {
        func known(_ identifier: String?) throws -> String? {
            guard let identifier else { return nil }
            return try database.first("SELECT contact FROM whatsapp_identities WHERE identifier = ?", [.text(identifier)]) { $0.string(0) }
        }
        let phoneKey = try known(identity.phone)
        let userKey = try known(identity.userID)
        guard let key = phoneKey ?? userKey ?? identity.phone ?? identity.userID else { return "" }
        // Every BSUID is recorded (a person first known by it keeps it as their key); a phone
        // only when the payload links it to a BSUID (alone, a phone is its own key).
        func link(_ identifier: String) throws {
            try database.run("INSERT INTO whatsapp_identities (identifier, contact) VALUES (?, ?)", [.text(identifier), .text(key)])
        }
        if let userID = identity.userID, userKey == nil { try link(userID) }
        if let phone = identity.phone, identity.userID != nil, phoneKey == nil { try link(phone) }
        return key
    }

    /// An event waiting for the router: its JSON exactly as committed, sent on as it is.
    struct Pending: Sendable {
        var seq: Int
        var kind: String
        var contact: String
        var payload: [UInt8]
        /// nil: stored before partitioning (the first router instance).
        var partitionKey: PartitionKey?
    }

    /// Reads up to `limit` pending events with a sequence above `after()`, oldest first, and hands
    /// them to `take`; both run on the store's thread (see ``store(_:receivedAt:committed:)``).
    func readPending(limit: Int, after: @escaping @Sendable () -> Int, take: @escaping @Sendable ([Pending]) -> Void) async throws {
        try await store.read { database in
            let rows = try database.rows(
                "SELECT seq, kind, contact, payload, partition_key FROM inbox WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
                [.text(InboxStatus.pending.rawValue), .integer(Int64(after())), .integer(Int64(limit))]
            ) { row in
                Pending(seq: row.int(0), kind: row.string(1), contact: row.string(2), payload: Array(row.string(3).utf8),
                        partitionKey: row.optionalString(4).flatMap(PartitionKey.init(parsing:)))
            }
            take(rows)
        }
    }

    /// Records the router's answer for an event; `completion` runs on the store's thread once it
    /// is committed (or failed).
    func finish(_ seq: Int, status: InboxStatus, reason: String?, now: Date, completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        store.enqueueWrite({ try Self.finish(seq, status: status, reason: reason, now: now, in: $0) }, completion: completion)
    }

    private static func finish(_ seq: Int, status: InboxStatus, reason: String?, now: Date, in database: Database) throws {
        try database.run(
            "UPDATE inbox SET status = ?, reason = ?, attempts = attempts + 1, finished_at = ? WHERE seq = ?",
            [.text(status.rawValue), SQLValue(reason), .real(now.timeIntervalSince1970), .integer(seq)])
    }

    /// Marks an event the router answered as done, with the next commit (``Store/deferWrite(within:_:completion:)``):
    /// should the mark be lost in a crash, the event goes again and the router, which keeps
    /// every decided message id, answers as before.
    func markDone(_ seq: Int, now: Date) {
        store.deferWrite { try Self.finish(seq, status: .done, reason: nil, now: now, in: $0) }
    }

    /// Counts a failed attempt and keeps its reason; `completion` as for ``finish(_:status:reason:now:completion:)``.
    func countAttempt(_ seq: Int, reason: String, completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        store.enqueueWrite({ database in
            try database.run("UPDATE inbox SET attempts = attempts + 1, reason = ? WHERE seq = ?", [.text(reason), .integer(seq)])
        }, completion: completion)
    }

    struct Listed: Codable, Sendable {
        var seq: Int
        var kind: String
        var platform: Platform
        var messageId: String
        var contact: String
        var status: InboxStatus
        var reason: String?
        var attempts: Int
        var receivedAt: Date
        enum CodingKeys: String, CodingKey { case seq, kind, platform, messageId, contact, status, reason, attempts, receivedAt }
    }

    func list(status: InboxStatus?, limit: Int) async throws -> [Listed] {
        try await store.read { database in
            try database.rows(
                "SELECT seq, kind, platform, message_id, contact, status, reason, attempts, received_at FROM inbox WHERE (?1 IS NULL OR status = ?1) ORDER BY seq DESC LIMIT ?2",
                [SQLValue(status?.rawValue), .integer(limit)]
            ) { row in
                Listed(
                    seq: row.int(0), kind: row.string(1), platform: try row.word(2, as: Platform.self), messageId: row.string(3), contact: row.string(4),
                    status: try row.word(5, as: InboxStatus.self), reason: row.optionalString(6), attempts: row.int(7), receivedAt: Date(timeIntervalSince1970: row.double(8)))
            }
        }
    }

    func counts() async throws -> [String: Int] {
        try await store.read { database in
            var counts = Dictionary(uniqueKeysWithValues: InboxStatus.allCases.map { ($0.rawValue, 0) })
            try database.query("SELECT status, COUNT(*) FROM inbox GROUP BY status") { counts[$0.string(0)] = $0.int(1) }
            return counts
        }
    }

    func close() { store.close() }
}
