import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

/// What the router's timers and queue passes read: contacts with a reply deadline, and
/// contacts waiting in a queue (the `due_at` and `queued_at` columns each commit keeps).
extension RouterStore {
    /// The earliest reply deadline of any location; nil when none is owed.
    func nextDue() async throws -> Date? {
        try await store.read { database in
            try database.first("SELECT MIN(due_at) FROM contacts WHERE due_at IS NOT NULL") {
                $0.optionalDouble(0).map { Date(timeIntervalSince1970: $0) }
            } ?? nil
        }
    }

    /// Contacts whose reply is due by `time`, earliest first (ties by address), at most `limit`.
    func dueContacts(upTo time: Date, limit: Int = 500) async throws -> [(location: String, address: String)] {
        try await store.read { database in
            try database.rows(
                "SELECT location, address FROM contacts WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, address LIMIT ?",
                [.real(time.timeIntervalSince1970), .integer(limit)]) { ($0.string(0), $0.string(1)) }
        }
    }

    /// The open contacts of `location` waiting in a queue (``TimedRouting/queuePass(_:offer:)`` orders them).
    func queuedContacts(location: String) async throws -> [ContactState] {
        try await store.read { database in
            try database.rows("SELECT state FROM contacts WHERE location = ? AND queued_at IS NOT NULL", [.text(location)]) {
                try WireJSON.decode(ContactState.self, from: Array($0.string(0).utf8))
            }
        }
    }

    /// Locations with at least one contact waiting in a queue.
    func locationsWithQueues() async throws -> [String] {
        try await store.read { database in
            try database.rows("SELECT DISTINCT location FROM contacts WHERE queued_at IS NOT NULL ORDER BY location") { $0.string(0) }
        }
    }
}
