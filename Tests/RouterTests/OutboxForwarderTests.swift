import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardStore
import SwitchboardTestSupport
@testable import SwitchboardRouter

/// The outbox forwarder with a real store file and a notifier stand-in: rows offered from the
/// store's thread and rows only the loop finds both arrive, and none is skipped.
@Suite struct OutboxForwarderTests {
    /// Writes an outbox row for a CRM update of `contact`, as another event's commit would.
    private static func insert(_ contact: String, into store: RouterStore) async throws -> RouterStore.OutboxRow {
        let item = OutboxItem(id: "crm-\(contact)", crm: CRMUpdate(location: "l", contact: contact, assignedTo: nil, tags: [], sequence: 1))
        let json = String(decoding: try WireJSON.encode(item), as: UTF8.self)
        return try await store.store.write { database in
            try database.run("INSERT INTO outbox (id, item, created_at) VALUES (?, ?, 0)", [.text(item.id), .text(json)])
            return RouterStore.OutboxRow(seq: Int(database.lastInsertRowID), json: json)
        }
    }

    @Test func aRowWrittenWithoutAnOfferIsNotSkippedByTheOfferAfterIt() async throws {
        let folder = TemporaryDirectory()
        let store = try RouterStore(path: folder.file("router.sqlite"))
        let notifier = try RouterServiceTests.FakeNotifier()
        let forwarder = OutboxForwarder(
            store: store, notifier: LineClient(host: "127.0.0.1", port: notifier.server.port), logger: Logger(service: "test", minimumLevel: .error))
        forwarder.start()
        let contacts = { Set(notifier.items.values.compactMap(\.crm?.contact)) }

        forwarder.offer([try await Self.insert("first", into: store)])
        try await eventually { contacts() == ["first"] && forwarder.sendsDirect }
        #expect(forwarder.sendsDirect, "the loop has caught up")

        // "quiet" is committed with neither an offer nor a wake-up; "offered" follows it.
        _ = try await Self.insert("quiet", into: store)
        forwarder.offer([try await Self.insert("offered", into: store)])
        try await eventually { contacts() == ["first", "quiet", "offered"] }
        #expect(contacts() == ["first", "quiet", "offered"])
        await forwarder.stop()
        store.close()
    }
}
