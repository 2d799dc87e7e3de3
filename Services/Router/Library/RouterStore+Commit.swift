import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

extension RouterStore {
    /// Everything one event writes, in one transaction (`ROUTING.md` step 8).
    struct Commit: Sendable {
        var location: String
        var event: String
        var decision: Decision?
        /// The contact state to store when there is no decision (tags, release, resolve …).
        var contact: ContactState
        var platform: String?
        var messageID: String?
        var at: Date
        var answer: String
        /// The user notifications to hand to the notifier.
        var notifications: [OutboxItem]
        /// The CRM update, if any, given the decision's history sequence (CRM ordering); it is
        /// the one outbox item that can only be made inside the transaction.
        var crm: (@Sendable (Int) -> OutboxItem)?
        /// The inbound message itself, kept in its decision's row for `simulate` and reports.
        var message: InboundMessage? = nil
    }

    /// Commits `commit` in a transaction of its own (the location's other events).
    func commit(_ commit: Commit) async throws {
        _ = try await store.write { try Self.write(commit, to: $0) }
    }

    /// Writes `commit` in the caller's transaction and returns the outbox rows it added. An
    /// inbound message's id is checked by the caller (the pipeline answers a repeat with the
    /// stored answer); the `processed` key would refuse a second row in any case.
    @discardableResult
    static func write(_ commit: Commit, to database: Database) throws -> [OutboxRow] {
        let contactJSON = (commit.decision?.contact ?? commit.contact).jsonString
        let trace = commit.decision?.trace.jsonString
        let messageJSON = commit.message?.jsonString
        let rotations = (commit.decision?.rotations ?? [:]).map { ($0.key, $0.value.jsonString) }
        let notifications = commit.notifications.map { ($0.id, $0.jsonString) }
        let contact = commit.decision?.contact ?? commit.contact
        let assignedAt: SQLValue = (commit.decision?.assigned.isEmpty == false) ? .real(commit.at.timeIntervalSince1970) : .null
        try database.run(
            """
            INSERT INTO contacts (location, address, state, owner, open, manual, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(location, address) DO UPDATE SET state = excluded.state, owner = excluded.owner, open = excluded.open,
                manual = excluded.manual, assigned_at = COALESCE(excluded.assigned_at, contacts.assigned_at)
            """,
            [.text(commit.location), .text(contact.address), .text(contactJSON), SQLValue(contact.owner), .bool(contact.open), .bool(contact.manual), assignedAt])
        try database.run("DELETE FROM threads WHERE location = ? AND address = ?", [.text(commit.location), .text(contact.address)])
        for (account, assignee) in contact.threads {
            try database.run("INSERT INTO threads (location, address, account, assignee, open) VALUES (?, ?, ?, ?, ?)",
                             [.text(commit.location), .text(contact.address), .text(account), .text(assignee), .bool(contact.open)])
        }
        var sequence = 0
        if let decision = commit.decision, let trace {
            try database.run(
                """
                INSERT INTO decisions (location, contact, account, event, user, reason, rule, tag, strategy, message_id, at, trace, assigned, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(commit.location), .text(contact.address), SQLValue(decision.account), .text(commit.event), SQLValue(decision.user),
                 .text(decision.reason), SQLValue(decision.rule), SQLValue(decision.tag), SQLValue(decision.strategy), SQLValue(commit.messageID),
                 .real(commit.at.timeIntervalSince1970), .text(trace), .bool(!decision.assigned.isEmpty), SQLValue(messageJSON)])
            sequence = Int(database.lastInsertRowID)
            for (key, state) in rotations {
                try database.run(
                    "INSERT INTO rotations (location, key, state) VALUES (?, ?, ?) ON CONFLICT(location, key) DO UPDATE SET state = excluded.state",
                    [.text(commit.location), .text(key), .text(state)])
            }
            for user in decision.assigned {
                try database.run(
                    "INSERT INTO recency (location, user, at) VALUES (?, ?, ?) ON CONFLICT(location, user) DO UPDATE SET at = excluded.at",
                    [.text(commit.location), .text(user), .real(commit.at.timeIntervalSince1970)])
            }
        } else if commit.crm != nil {
            sequence = try database.first("SELECT COALESCE(MAX(seq), 0) FROM decisions") { $0.int(0) } ?? 0
        }
        var items = notifications
        if let crm = commit.crm {
            let item = crm(sequence)
            items.append((item.id, item.jsonString))
        }
        var added: [OutboxRow] = []
        for (id, json) in items {
            try database.run("INSERT INTO outbox (id, item, created_at) VALUES (?, ?, ?)",
                             [.text(id), .text(json), .real(commit.at.timeIntervalSince1970)])
            added.append(OutboxRow(seq: Int(database.lastInsertRowID), json: json))
        }
        if let platform = commit.platform, let id = commit.messageID {
            try database.run("INSERT INTO processed (platform, message_id, answer) VALUES (?, ?, ?)", [.text(platform), .text(id), .text(commit.answer)])
        }
        return added
    }

    /// The first reply after an assignment fixes that assignment's first-response time.
    func recordReply(location: String, contact: String, at: Date) async throws -> Bool {
        try await store.write { database in
            try database.run(
                """
                UPDATE decisions SET first_response_at = ? WHERE seq = (
                    SELECT seq FROM decisions WHERE location = ? AND contact = ? AND assigned = 1 ORDER BY seq DESC LIMIT 1)
                  AND first_response_at IS NULL AND at <= ?
                """, [.real(at.timeIntervalSince1970), .text(location), .text(contact), .real(at.timeIntervalSince1970)])
            return database.changes > 0
        }
    }
}
