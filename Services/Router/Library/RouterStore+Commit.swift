import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

extension RouterStore {
    /// Everything one contact event writes, in one transaction (`ROUTING.md` step 8).
    struct Commit: Sendable {
        var location: String
        /// The event's name (`inbound`, `tag`, `assign` …) in the decision history.
        var event: String
        var decision: Decision
        /// The contact before the event (nil: a new contact): its open loads move to the new state.
        var previous: ContactState?
        var at: Date
        var effects: DecisionEffects
        /// The inbound message: kept in its decision's row for `simulate` and reports, and its
        /// id marked processed with `answer`.
        var message: InboundMessage? = nil
        var answer: String = ""
    }

    /// Commits `commits` (one event's decisions: a drain has one per contact) and, when given,
    /// the event's entry in the log `simulate` replays, in one transaction.
    func commit(_ commits: [Commit], location: String, logging logged: LoggedContactEvent?) async throws {
        _ = try await store.write { database in
            if let logged { try Self.log(logged, location: location, to: database) }
            for commit in commits { try Self.write(commit, to: database) }
        }
    }

    static func log(_ logged: LoggedContactEvent, location: String, to database: Database) throws {
        try database.run("INSERT INTO contact_events (location, event, at) VALUES (?, ?, ?)",
                         [.text(location), .text(String(decoding: try WireJSON.encode(logged), as: UTF8.self)), .real(logged.at.timeIntervalSince1970)])
    }

    /// Writes `commit` in the caller's transaction and returns the outbox rows it added. An
    /// inbound message's id is checked by the caller (the pipeline answers a repeat with the
    /// stored answer); the `processed` key would refuse a second row in any case.
    @discardableResult
    static func write(_ commit: Commit, to database: Database) throws -> [OutboxRow] {
        let decision = commit.decision
        let contact = decision.contact
        let contactJSON = contact.jsonString
        let assignedAt: SQLValue = decision.assigned.isEmpty ? .null : .real(commit.at.timeIntervalSince1970)
        try database.run(
            """
            INSERT INTO contacts (location, address, state, owner, open, manual, assigned_at, due_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(location, address) DO UPDATE SET state = excluded.state, owner = excluded.owner, open = excluded.open,
                manual = excluded.manual, assigned_at = COALESCE(excluded.assigned_at, contacts.assigned_at),
                due_at = excluded.due_at, queued_at = excluded.queued_at
            """,
            [.text(commit.location), .text(contact.address), .text(contactJSON), SQLValue(contact.owner), .bool(contact.open), .bool(contact.manual), assignedAt,
             SQLValue(contact.replyDeadline?.due.timeIntervalSince1970), SQLValue(contact.open ? contact.queuedAt?.timeIntervalSince1970 : nil)])
        if commit.previous.map({ $0.threads != contact.threads || $0.open != contact.open }) ?? !contact.threads.isEmpty {
            try database.run("DELETE FROM threads WHERE location = ? AND address = ?", [.text(commit.location), .text(contact.address)])
            for (account, assignee) in contact.threads {
                try database.run("INSERT INTO threads (location, address, account, assignee, open) VALUES (?, ?, ?, ?, ?)",
                                 [.text(commit.location), .text(contact.address), .text(account), .text(assignee), .bool(contact.open)])
            }
        }
        for (load, change) in OpenLoad.changes(from: commit.previous, to: contact) {
            try database.run(
                """
                INSERT INTO open_loads (location, kind, user, count) VALUES (?, ?, ?, ?)
                ON CONFLICT (location, kind, user) DO UPDATE SET count = count + excluded.count
                """, [.text(commit.location), .text(load.kind.rawValue), .text(load.user), .integer(change)])
        }
        // The decision row just written is the latest: its sequence needs no query.
        var decisionSequence: Int?
        if decision.recorded {
            try database.run(
                """
                INSERT INTO decisions (location, contact, account, event, user, reason, rule, tag, strategy, message_id, at, trace, assigned, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(commit.location), .text(contact.address), SQLValue(decision.account), .text(commit.event), SQLValue(decision.user),
                 .text(decision.reason.rawValue), SQLValue(decision.rule), SQLValue(decision.tag), SQLValue(decision.strategy), SQLValue(commit.message?.messageId),
                 .real(commit.at.timeIntervalSince1970), .text(decision.trace.jsonString), .bool(!decision.assigned.isEmpty),
                 SQLValue(commit.message?.jsonString)])
            decisionSequence = Int(database.lastInsertRowID)
            for (key, state) in decision.rotations {
                try database.run(
                    "INSERT INTO rotations (location, key, state) VALUES (?, ?, ?) ON CONFLICT(location, key) DO UPDATE SET state = excluded.state",
                    [.text(commit.location), .text(key), .text(state.jsonString)])
            }
            for user in decision.assigned {
                try database.run(
                    "INSERT INTO recency (location, user, at) VALUES (?, ?, ?) ON CONFLICT(location, user) DO UPDATE SET at = excluded.at",
                    [.text(commit.location), .text(user), .real(commit.at.timeIntervalSince1970)])
            }
        }
        var items = commit.effects.notifications.map { ($0.id, $0.jsonString) }
        if let crm = commit.effects.crm {
            let item = crm(try Self.nextCRMSequence(database, notificationsFirst: items.count, latestDecision: decisionSequence))
            items.append((item.id, item.jsonString))
        }
        var added: [OutboxRow] = []
        for (id, json) in items {
            try database.run("INSERT INTO outbox (id, item, created_at) VALUES (?, ?, ?)",
                             [.text(id), .text(json), .real(commit.at.timeIntervalSince1970)])
            added.append(OutboxRow(seq: Int(database.lastInsertRowID), json: json))
        }
        if let message = commit.message {
            try database.run("INSERT INTO processed (platform, message_id, answer) VALUES (?, ?, ?)",
                             [.text(message.platform.rawValue), .text(message.messageId), .text(commit.answer)])
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

    /// The order of a CRM update among all of the router's CRM updates, which the notifier uses
    /// to skip one overtaken by a newer update of the same contact. It must grow with every
    /// update, including those of events that record no decision (a tag added, an unassign):
    /// the outbox row the update is about to get (after the decision's notifications) plus the
    /// latest decision's sequence. (What this replaced: the latest decision's sequence alone, so
    /// a tag added after a contact's last decision repeated that decision's number and the
    /// notifier skipped it as superseded; the decisions term keeps numbers above those of the
    /// updates written before the change.)
    /// `latestDecision`: the decisions' highest sequence when the caller has it (it just wrote it).
    static func nextCRMSequence(_ database: Database, notificationsFirst: Int, latestDecision: Int? = nil) throws -> Int {
        let outbox = try database.first("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)") { $0.int(0) } ?? 0
        let decisions = try latestDecision ?? database.first("SELECT COALESCE(MAX(seq), 0) FROM decisions") { $0.int(0) } ?? 0
        return outbox + notificationsFirst + 1 + decisions
    }
}
