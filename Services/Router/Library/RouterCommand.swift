import Foundation
import SwitchboardHTTP
import SwitchboardNet
public import SwitchboardRuntime

/// The `switchboard-router` process.
public enum RouterCommand {
    public static let keys: [Settings.Key] = [
        .listen(port: 7102),
        .database("router"),
        Settings.Key("directory", default: "127.0.0.1:7103", help: "host:port of switchboard-directory"),
        Settings.Key("notifier", default: "127.0.0.1:7104", help: "host:port of switchboard-notifier"),
        HTTPServer.operationalKey(suggestedPort: 7112),
        Settings.Key("queue-sweep-seconds", default: "30", help: "how often queued contacts are offered again (also at once on a directory change)"),
        Settings.Key("test-clock", default: "false", help: "timers run only when router.advance_clock moves time (tests only, never production)"),
    ]

    public static let secretNames = ["token", "directory-token", "notifier-token"]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-router", summary: "Assigns each contact to the right team member and explains why.",
            keys: keys, secretNames: secretNames, arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            let path = try settings.databasePath(default: "state/router.sqlite")
            func client(_ key: String, token: String) throws -> LineClient {
                var options = try LineClientOptions(settings: settings, key: key, secrets: secrets, tokenName: token, clientName: "switchboard-router")
                options.requestTimeout = 5
                return LineClient(options: options)
            }
            let directory = try client("directory", token: "directory-token")
            let notifier = try client("notifier", token: "notifier-token")
            let sweepEvery = try settings.double("queue-sweep-seconds") ?? 30
            guard sweepEvery > 0 else { throw SettingsError("queue-sweep-seconds must be more than 0, got \(sweepEvery)") }
            let timing: RouterService.Timing = try settings.bool("test-clock") ? .manual : .live(sweepEvery: sweepEvery)
            if case .manual = timing { logger.warning("test clock enabled: reply deadlines and queue passes run only on router.advance_clock") }
            let service = try await RouterService(
                databasePath: path, directory: directory, notifier: notifier, logger: logger, metrics: metrics, timing: timing)
            let server = try LineServer(
                service: "router", settings: settings, secrets: secrets, logger: logger, metrics: metrics, register: service.register(on:))
            let http = try HTTPServer.operational(settings: settings, logger: logger, metrics: metrics)
            let parts = ServiceGroup([directory, notifier, service, server] + [http].compactMap { $0 })
            try await parts.start()
            return ServiceMain.Running(status: server.status, parts: parts)
        }
    }
}
