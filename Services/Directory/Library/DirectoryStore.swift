import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRuntime
import SwitchboardStore

/// The directory's SQLite file and the published in-memory state read by every query.
///
/// Writes are serialised by an ``AsyncLock``: compute the next ``DirectoryState`` from the
/// published one, commit its changed rows in one transaction, then publish it. Reads never touch
/// SQLite; the file is read once, at start.
final class DirectoryStore: Sendable {
    static let migrations = [
        Migration("directory tables", sql: """
            CREATE TABLE locations (id TEXT PRIMARY KEY, timezone TEXT NOT NULL) STRICT;
            CREATE TABLE users (id TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
            CREATE TABLE memberships (
                location_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES users(id),
                PRIMARY KEY (location_id, user_id)) STRICT;
            CREATE TABLE teams (location_id TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (location_id, id)) STRICT;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
            """),
    ]

    private let store: Store
    private let writes = AsyncLock()
    private let published: Mutex<DirectoryState>

    init(path: String) async throws {
        store = try Store(path: path, durability: .normal, migrations: Self.migrations)
        published = Mutex(try await Self.load(store))
    }

    /// The current state (a value: later writes do not change it).
    var state: DirectoryState { published.withLock { $0 } }

    /// Applies `mutation` to the current state, commits what changed, publishes the result.
    ///
    /// - Returns: the new version and whether anything changed; nothing is written on a throw.
    /// - Parameter published: runs while the write lock is still held, so announcements of
    ///   successive versions leave in order.
    func mutate(
        _ mutation: @escaping @Sendable (inout DirectoryState) throws(WireError) -> [DirectoryState.Change],
        published announce: @Sendable (Int) -> Void
    ) async throws -> WriteResult {
        try await writes.withLock {
            var next = state
            let changes = try mutation(&next)
            guard !changes.isEmpty else { return WriteResult(version: next.version, changed: false) }
            let version = next.version
            try await store.write { database in
                for change in changes { try Self.write(change, to: database) }
                try database.run("INSERT INTO meta (key, value) VALUES ('version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.integer(version)])
            }
            let published = next
            self.published.withLock { $0 = published }
            announce(version)
            return WriteResult(version: version, changed: true)
        }
    }

    /// The store's thread runs `done` when it gets to it (a heartbeat's probe).
    func probe(_ done: @escaping @Sendable () -> Void) {
        store.probe(done)
    }

    func close() {
        store.close()
    }

    private static func write(_ change: DirectoryState.Change, to database: Database) throws {
        switch change {
        case .user(let user):
            let record = String(decoding: try WireJSON.encode(user), as: UTF8.self)
            try database.run("INSERT INTO users (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record", [.text(user.id), .text(record)])
        case .membership(let location, let user, let member):
            if member {
                try database.run("INSERT OR IGNORE INTO memberships (location_id, user_id) VALUES (?, ?)", [.text(location), .text(user)])
            } else {
                try database.run("DELETE FROM memberships WHERE location_id = ? AND user_id = ?", [.text(location), .text(user)])
            }
        case .team(let location, let team):
            let record = String(decoding: try WireJSON.encode(team), as: UTF8.self)
            try database.run(
                "INSERT INTO teams (location_id, id, record) VALUES (?, ?, ?) ON CONFLICT(location_id, id) DO UPDATE SET record = excluded.record",
                [.text(location), .text(team.id), .text(record)])
        case .removeTeam(let location, let id):
            try database.run("DELETE FROM teams WHERE location_id = ? AND id = ?", [.text(location), .text(id)])
        case .location(let id, let timezone):
            try database.run(
                "INSERT INTO locations (id, timezone) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET timezone = excluded.timezone",
                [.text(id), .text(timezone)])
        }
    }

    private static func load(_ store: Store) async throws -> DirectoryState {
        try await store.read { database in
            let users = try database.rows("SELECT record FROM users") { row in
                try WireJSON.decode(DirectoryUser.self, from: Array(row.string(0).utf8))
            }
            var members: [String: Set<String>] = [:]
            try database.query("SELECT location_id, user_id FROM memberships") { members[$0.string(0), default: []].insert($0.string(1)) }
            var timezones: [String: String] = [:]
            try database.query("SELECT id, timezone FROM locations") { timezones[$0.string(0)] = $0.string(1) }
            var teams: [String: [String: Team]] = [:]
            try database.query("SELECT location_id, record FROM teams") { row in
                let team = try WireJSON.decode(Team.self, from: Array(row.string(1).utf8))
                teams[row.string(0), default: [:]][team.id] = team
            }
            let version = try database.first("SELECT value FROM meta WHERE key = 'version'") { $0.int(0) } ?? 0
            return try DirectoryState(users: users, members: members, timezones: timezones, teams: teams, version: version)
        }
    }
}
