import Foundation
import Testing
import SwitchboardStore
import SwitchboardTestSupport
@testable import SwitchboardRouter

/// The open-load counts the triggers keep must equal a recount of the rows after any write.
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

    @Test func keptCountsMatchARecountThroughReassignCloseReopenAndDelete() async throws {
        let folder = TemporaryDirectory()
        let store = try RouterStore(path: folder.file("router.sqlite"))
        let upsert = """
            INSERT INTO contacts (location, address, state, owner, open, manual) VALUES ('l', ?, '{}', ?, ?, 0)
            ON CONFLICT(location, address) DO UPDATE SET owner = excluded.owner, open = excluded.open
            """
        let steps: [(String, String?, Int)] = [
            ("a", "alice", 1), ("b", "alice", 1), ("c", "bob", 1), ("d", nil, 1),
            ("a", "bob", 1), ("b", "alice", 0), ("d", "carol", 1), ("b", "alice", 1), ("c", "bob", 0),
        ]
        for (address, owner, open) in steps {
            try await store.store.write { database in
                try database.run(upsert, [.text(address), owner.map(SQLValue.text) ?? .null, .integer(Int64(open))])
                try database.run("DELETE FROM threads WHERE location = 'l' AND address = ?", [.text(address)])
                if let owner {
                    try database.run("INSERT INTO threads (location, address, account, assignee, open) VALUES ('l', ?, 'acc', ?, ?)",
                                     [.text(address), .text(owner), .integer(Int64(open))])
                }
            }
            #expect(try await store.allLoads(location: "l", threads: false) == recount(store, threads: false))
            #expect(try await store.allLoads(location: "l", threads: true) == recount(store, threads: true))
        }
        try await store.store.write { try $0.run("DELETE FROM contacts WHERE location = 'l' AND address = 'a'") }
        #expect(try await store.allLoads(location: "l", threads: false) == ["alice": 1, "carol": 1])
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
