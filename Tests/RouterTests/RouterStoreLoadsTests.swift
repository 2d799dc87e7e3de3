import Foundation
import Testing
import SwitchboardDomain
import SwitchboardStore
import SwitchboardTestSupport
@testable import SwitchboardRouter

/// The open-load counts each commit keeps (``OpenLoad``'s rule) must equal a recount of the
/// rows after any change, and the in-memory snapshot must hold the same counts.
@Suite struct RouterStoreLoadsTests {
    private func recount(_ store: RouterStore, threads: Bool) async throws -> [String: Int] {
        try await store.store.read { database in
            var loads: [String: Int] = [:]
            let sql = threads
                ? "SELECT assignee, COUNT(*) FROM threads WHERE location = 'l' AND open = 1 GROUP BY assignee"
                : "SELECT owner, COUNT(*) FROM contacts WHERE location = 'l' AND open = 1 AND owner IS NOT NULL GROUP BY owner"
            try database.query(sql) { loads[$0.string(0)] = $0.int(1) }
            return loads
        }
    }

    @Test func keptCountsMatchARecountAndTheSnapshotThroughReassignCloseReopenAndThreads() async throws {
        let folder = TemporaryDirectory()
        let store = try RouterStore(path: folder.file("router.sqlite"))
        let steps: [(String, String?, Bool, [String: String])] = [
            ("a", "alice", true, ["acc": "alice"]), ("b", "alice", true, [:]), ("c", "bob", true, ["acc": "bob", "acc2": "bob"]), ("d", nil, true, [:]),
            ("a", "bob", true, ["acc": "bob"]), ("b", "alice", false, [:]), ("d", "carol", true, ["acc": "carol"]), ("b", "alice", true, ["acc2": "alice"]),
            ("c", "bob", false, ["acc": "bob", "acc2": "bob"]), ("c", "bob", true, ["acc2": "carol"]), ("a", nil, true, [:]),
        ]
        var contacts: [String: ContactState] = [:]
        var snapshot = LocationSnapshot()
        for (address, owner, open, threads) in steps {
            var contact = ContactState(location: "l", address: address)
            contact.owner = owner
            contact.open = open
            contact.threads = threads
            let decision = Decision(contact: contact, user: owner, reason: .account, trace: DecisionTrace(event: "test"))
            let commit = RouterStore.Commit(
                location: "l", event: "inbound", decision: decision, previous: contacts[address], at: Date(),
                effects: DecisionEffects(decision, key: address, config: try RoutingEngineTests.config(
                    #"{"version": 1, "location": {"id": "l", "name": "L", "timezone": "UTC"}, "accounts": []}"#), at: Date()))
            try await store.commit([commit], location: "l", logging: nil)
            snapshot.record(decision, replacing: contacts[address], at: Date())
            contacts[address] = contact
            #expect(try await store.allLoads(location: "l", threads: false) == recount(store, threads: false))
            #expect(try await store.allLoads(location: "l", threads: true) == recount(store, threads: true))
            #expect(snapshot.contactLoads == (try await recount(store, threads: false)))
            #expect(snapshot.threadLoads == (try await recount(store, threads: true)))
        }
        #expect(try await store.allLoads(location: "l", threads: false) == ["alice": 1, "bob": 1, "carol": 1])
        #expect(try await store.allLoads(location: "l", threads: true) == ["alice": 1, "carol": 2])
    }

    @Test func upgradingAnExistingFileCountsTheLoadsAlreadyThere() async throws {
        let folder = TemporaryDirectory()
        let path = folder.file("router.sqlite")
        let before = try Store(path: path, migrations: Array(RouterStore.migrations.prefix(3)))
        try await before.write { database in
            for (address, owner, open) in [("a", "alice", 1), ("b", "alice", 1), ("c", "alice", 0), ("d", "bob", 1)] {
                try database.run("INSERT INTO contacts (location, address, state, owner, open, manual) VALUES ('l', ?, '{}', ?, ?, 0)",
                                 [.text(address), .text(owner), .integer(Int64(open))])
                try database.run("INSERT INTO threads (location, address, account, assignee, open) VALUES ('l', ?, 'acc', ?, ?)",
                                 [.text(address), .text(owner), .integer(Int64(open))])
            }
        }
        before.close()
        let store = try RouterStore(path: path)
        #expect(try await store.allLoads(location: "l", threads: false) == ["alice": 2, "bob": 1])
        #expect(try await store.allLoads(location: "l", threads: true) == ["alice": 2, "bob": 1])
    }
}
