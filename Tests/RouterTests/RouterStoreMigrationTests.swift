import Foundation
import SwitchboardCodec
import Testing
import SwitchboardDomain
import SwitchboardStore
import SwitchboardTestSupport
@testable import SwitchboardRouter

/// A file written by the previous schema keeps every fact after the upgrade that slimmed the
/// writes per decision: processed message ids still deduplicate, outbox rows keep their
/// sequence, and simulate still reads the inbound messages stored before.
@Suite struct RouterStoreMigrationTests {
    @Test func upgradingKeepsProcessedIdsOutboxRowsAndStoredMessages() async throws {
        let folder = TemporaryDirectory()
        let path = folder.file("router.sqlite")
        let old = InboundMessage(provider: "twilio", messageId: "SM-old", platform: .twilio, account: "+1", contact: "+2", text: "old", at: Date(timeIntervalSince1970: 1_000))
        let before = try Store(path: path, migrations: Array(RouterStore.migrations.prefix(4)))
        try await before.write { database in
            try database.run("INSERT INTO processed (platform, message_id, answer) VALUES ('twilio', 'SM-old', '{\"contact\":\"+2\",\"reason\":\"account\"}')")
            try database.run("INSERT INTO outbox (seq, id, item, created_at) VALUES (41, 'twilio:SM-old:0', '{}', 1000)")
            try database.run("INSERT INTO inbound_events (location, message, user, at) VALUES ('l', ?, 'u_a', 1000)", [.text(old.jsonString)])
        }
        before.close()

        let store = try RouterStore(path: path)
        let answer = try await store.store.read { try RouterStore.processedAnswer($0, platform: .twilio, messageID: "SM-old") }
        #expect(answer == "{\"contact\":\"+2\",\"reason\":\"account\"}")
        let outbox = try await store.outbox(after: 0, limit: 10)
        #expect(outbox.map(\.seq) == [41])
        try await store.store.write { try $0.run("INSERT INTO outbox (id, item, created_at) VALUES ('next', '{}', 1001)") }
        #expect(try await store.outbox(after: 0, limit: 10).map(\.seq) == [41, 42])

        let new = InboundMessage(provider: "twilio", messageId: "SM-new", platform: .twilio, account: "+1", contact: "+3", text: "new", at: Date(timeIntervalSince1970: 2_000))
        var contact = ContactState(location: "l", address: "+3")
        contact.owner = "u_b"
        let decision = Decision(contact: contact, user: "u_b", reason: .account, trace: DecisionTrace(event: "inbound"))
        try await store.commit([RouterStore.Commit(
            location: "l", event: "inbound", decision: decision, previous: nil, at: new.at,
            effects: DecisionEffects(decision, key: "twilio:SM-new", config: try RoutingEngineTests.config(
                #"{"version": 1, "location": {"id": "l", "name": "L", "timezone": "UTC"}, "accounts": []}"#), at: new.at),
            message: new, answer: "{}")], location: "l", logging: nil)
        let events = try await store.replayEvents(location: "l", since: Date(timeIntervalSince1970: 0), until: Date(timeIntervalSince1970: 3_000))
        let replayed = events.compactMap { event -> (InboundMessage, String?)? in
            if case .message(let message, let actual) = event { (message, actual) } else { nil }
        }
        #expect(replayed.map(\.0) == [old, new])
        #expect(replayed.map(\.1) == ["u_a", "u_b"])
        store.close()
    }
}
