import Foundation
import SwitchboardCodec
import Testing
import SwitchboardDomain
import SwitchboardStore
import SwitchboardTestSupport
@testable import SwitchboardNotifier

/// A file written by the first schema keeps its deliveries through the upgrade that slimmed the
/// writes per delivery: pending ones come due in order, CRM updates of one contact still wait for
/// the older one, finished ones stay counted.
@Suite struct NotifierStoreMigrationTests {
    @Test func upgradingKeepsDeliveriesDueOrderAndCounts() async throws {
        let folder = TemporaryDirectory()
        let path = folder.file("notifier.sqlite")
        let notification = OutboxItem(id: "n1", notification: UserNotification(
            recipient: "u_a", channels: [NotifyChannel(channel: .file, path: "/tmp/x")], kind: .assigned, location: "l", contact: "+1",
            account: "+2", at: Date(timeIntervalSince1970: 0), summary: "s"))
        let crm = OutboxItem(id: "c1", crm: CRMUpdate(location: "l", contact: "+1", assignedTo: "u_a", tags: [], sequence: 1))
        let before = try Store(path: path, migrations: Array(NotifierStore.migrations.prefix(1)))
        try await before.write { database in
            for (item, type) in [(notification, "notification"), (crm, "crm")] {
                try database.run("INSERT INTO items (id, type, location, contact, payload, created_at) VALUES (?, ?, 'l', '+1', ?, 0)",
                                 [.text(item.id), .text(type), .text(item.jsonString)])
            }
            try database.run("INSERT INTO deliveries (id, item_id, channel, target, status, next_attempt_at, created_at) VALUES ('n1:file', 'n1', 'file', '/tmp/x', 'pending', 5, 0)")
            try database.run("INSERT INTO deliveries (id, item_id, channel, target, status, next_attempt_at, created_at) VALUES ('n1:old', 'n1', 'file', '/tmp/x', 'delivered', 1, 0)")
            try database.run("INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, contact_key, sequence) VALUES ('c1:crm', 'c1', 'crm', 'pending', 1, 0, 'l|+1', 1)")
            try database.run("INSERT INTO deliveries (id, item_id, channel, status, next_attempt_at, created_at, contact_key, sequence) VALUES ('c2:crm', 'c1', 'crm', 'pending', 1, 0, 'l|+1', 2)")
        }
        before.close()

        let store = try NotifierStore(path: path)
        let due = try await store.due(now: Date(timeIntervalSince1970: 10), limit: 10, excluding: [], busyContacts: [])
        #expect(due.map(\.id) == ["c1:crm", "n1:file"], "the second CRM update of the contact waits for the first")
        let counts = try await store.counts()
        #expect(counts["pending"] == 3 && counts["delivered"] == 1)
        store.close()
    }
}
