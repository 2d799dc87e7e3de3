import Foundation
import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardNet
public import SwitchboardRuntime

/// The `switchboard-console` process: the dashboard and the JSON API for agency admins.
///
/// Why a process of its own rather than a listener of the router: it is the only part facing
/// people's browsers, so it holds the only admin secret and the sessions, fails and restarts on
/// its own, and reaches the mesh through the same line ops as `switchboardctl` — the router
/// keeps one job and one port.
public enum ConsoleCommand {
    public static let keys: [Settings.Key] = [
        Settings.Key("listen", default: "127.0.0.1:7105", help: "host:port of the console's HTTP server (put HTTPS in front: docs/https.md)"),
        .database("console"),
        Settings.Key("router", default: "127.0.0.1:7102", help: "host:port of switchboard-router"),
        RouterRing.settingKey,
        Settings.Key("directory", default: "127.0.0.1:7103", help: "host:port of switchboard-directory"),
        Settings.Key("secure-cookies", default: "false", help: "mark the session cookie Secure (set when browsers reach the console over HTTPS)"),
        Settings.Key("session-hours", default: "12", help: "hours a sign-in lasts"),
        Settings.Key("max-body", default: "1048576", help: "largest request body, bytes"),
    ]

    public static let secretNames = ["console-password-hash", "router-token", "directory-token"]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-console",
            summary: "The admin dashboard and JSON API: accounts and their assignment, the team, contacts and why they went where, reports.",
            keys: keys, secretNames: secretNames, arguments: arguments
        ) { settings, secrets, logger in
            guard let stored = try secrets.value("console-password-hash") else {
                throw SettingsError("console-password-hash is required: `switchboardctl console hash-password` makes one; pass it as a systemd credential or SWITCHBOARD_CONSOLE_PASSWORD_HASH")
            }
            guard let passwordHash = PasswordHash(parsing: stored.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw SettingsError("console-password-hash is not a pbkdf2-sha256$ITERATIONS$SALT$HASH string (make one with `switchboardctl console hash-password`)")
            }
            let metrics = MetricsRegistry()
            let store = try ConsoleStore(path: try settings.databasePath(default: "state/console.sqlite"))
            var policy = AdminAuthentication.Policy()
            policy.secureCookies = try settings.bool("secure-cookies")
            policy.sessionLifetime = (try settings.double("session-hours") ?? 12) * 3600
            let router = try RouterRing(settings: settings, secrets: secrets, tokenName: "router-token", clientName: "switchboard-console")
            let directory = LineClient(options: try LineClientOptions(
                settings: settings, key: "directory", secrets: secrets, tokenName: "directory-token", clientName: "switchboard-console"))
            let server = ConsoleServer(
                gateway: MeshGateway(routers: router, directory: directory),
                authentication: AdminAuthentication(passwordHash: passwordHash, store: store, clock: SystemWallClock(), policy: policy),
                clock: SystemWallClock(), logger: logger)

            var options = HTTPServer.Options()
            if let address = try settings.address("listen") {
                options.host = address.host
                options.port = address.port
            }
            options.limits.maximumBodyBytes = try settings.int("max-body") ?? (1 << 20)
            let http = HTTPServer(options: options, logger: logger, metrics: metrics)
            http.addOperationalRoutes()
            server.register(on: http)
            let parts = ServiceGroup([router, directory, store, http])
            try await parts.start()
            return ServiceMain.Running(status: "http=\(options.host):\(http.port)", parts: parts)
        }
    }
}
