import Foundation
import SwitchboardRuntime
import SwitchboardStore

/// The console's SQLite file: admin sessions and failed logins, so a restart neither logs the
/// admin out nor forgets the login rate limit.
///
/// A session is stored by the SHA-256 of its cookie value, never the value itself: reading the
/// file does not give a live cookie.
final class ConsoleStore: Sendable {
    static let migrations = [
        Migration("sessions and failed logins", sql: """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                csrf TEXT NOT NULL,
                created_at REAL NOT NULL,
                expires_at REAL NOT NULL) STRICT;
            CREATE TABLE failed_logins (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at REAL NOT NULL) STRICT;
            CREATE INDEX failed_logins_at ON failed_logins (at);
            """),
    ]

    /// One signed-in admin session.
    struct Session: Sendable, Equatable {
        var csrf: String
        var expiresAt: Date
    }

    let store: Store

    init(path: String) throws {
        store = try Store(path: path, durability: .full, migrations: Self.migrations)
    }

    func session(tokenHash: String, at now: Date) async throws -> Session? {
        try await store.read { database in
            try database.first(
                "SELECT csrf, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?", [.text(tokenHash), .real(now.timeIntervalSince1970)]
            ) { Session(csrf: $0.string(0), expiresAt: Date(timeIntervalSince1970: $0.double(1))) }
        }
    }

    /// Stores a new session and forgets expired ones and the failed logins before it.
    func open(tokenHash: String, session: Session, at now: Date) async throws {
        try await store.write { database in
            try database.run("DELETE FROM sessions WHERE expires_at <= ?", [.real(now.timeIntervalSince1970)])
            try database.run("DELETE FROM failed_logins")
            try database.run(
                "INSERT INTO sessions (token_hash, csrf, created_at, expires_at) VALUES (?, ?, ?, ?)",
                [.text(tokenHash), .text(session.csrf), .real(now.timeIntervalSince1970), .real(session.expiresAt.timeIntervalSince1970)])
        }
    }

    func close(tokenHash: String) async throws {
        try await store.write { database in try database.run("DELETE FROM sessions WHERE token_hash = ?", [.text(tokenHash)]) }
    }

    /// Records a failed login; answers the failures since `windowStart`, oldest first.
    func recordFailure(at now: Date, windowStart: Date) async throws -> [Date] {
        try await store.write { database in
            try database.run("DELETE FROM failed_logins WHERE at <= ?", [.real(windowStart.timeIntervalSince1970)])
            try database.run("INSERT INTO failed_logins (at) VALUES (?)", [.real(now.timeIntervalSince1970)])
            return try Self.failures(database, since: windowStart)
        }
    }

    func failures(since windowStart: Date) async throws -> [Date] {
        try await store.read { database in try Self.failures(database, since: windowStart) }
    }

    private static func failures(_ database: Database, since windowStart: Date) throws -> [Date] {
        try database.rows("SELECT at FROM failed_logins WHERE at > ? ORDER BY at", [.real(windowStart.timeIntervalSince1970)]) {
            Date(timeIntervalSince1970: $0.double(0))
        }
    }

}

extension ConsoleStore: Service {
    func start() async throws {}

    func stop() async {
        store.close()
    }

    /// The store's thread, watched by the heartbeat.
    var heartbeatProbes: [Heartbeat.Probe] {
        [Heartbeat.Probe(name: "console.store") { [store] done in store.probe(done) }]
    }
}
