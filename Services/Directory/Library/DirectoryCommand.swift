import Foundation
import SwitchboardHTTP
import SwitchboardNet
public import SwitchboardRuntime

/// The `switchboard-directory` process: settings, database, line server, optional HTTP health.
public enum DirectoryCommand {
    public static let keys: [Settings.Key] = [
        .listen(port: 7103),
        .database("directory"),
        Settings.Key("max-connections", default: "1024", help: "connections accepted at once"),
        HTTPServer.operationalKey(suggestedPort: 7113),
    ]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-directory",
            summary: "Users, teams, shifts, time zones and eligibility for Switchboard.",
            keys: keys, secretNames: ["token"], arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            let service = try await DirectoryService(databasePath: try settings.databasePath(default: "state/directory.sqlite"), logger: logger, metrics: metrics)
            let server = try LineServer(
                service: "directory", settings: settings, secrets: secrets, logger: logger, metrics: metrics, register: service.register(on:))
            let http = try HTTPServer.operational(settings: settings, logger: logger, metrics: metrics)
            let parts = ServiceGroup([service, server] + [http].compactMap { $0 })
            try await parts.start()
            return ServiceMain.Running(status: "\(server.status) version=\(service.version)", parts: parts)
        }
    }
}
