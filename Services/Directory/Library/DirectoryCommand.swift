import Foundation
import SwitchboardNet
import SwitchboardRuntime

/// The `switchboard-directory` process: settings, database, line server, optional HTTP health.
public enum DirectoryCommand {
    public static let keys = [
        Settings.Key("listen", default: "127.0.0.1:7103", help: "host:port of the line protocol"),
        Settings.Key("database", default: "state/directory.sqlite", help: "path of the SQLite file"),
        Settings.Key("max-connections", default: "1024", help: "connections accepted at once"),
    ]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-directory",
            summary: "Users, teams, shifts, time zones and eligibility for Switchboard.",
            keys: keys, secretNames: ["token"], arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            let path = settings.string("database") ?? "state/directory.sqlite"
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            let service = try await DirectoryService(databasePath: path, logger: logger, metrics: metrics)
            var options = LineServerOptions()
            if let address = try settings.address("listen") {
                options.host = address.host
                options.port = address.port
            }
            options.maximumConnections = try settings.int("max-connections") ?? 1024
            options.token = try secrets.value("token")
            let server = LineServer(service: "directory", options: options, logger: logger, metrics: metrics)
            service.register(on: server)
            let port = try server.start()
            return ServiceMain.Running(status: "lines=\(options.host):\(port) version=\(service.version)") {
                await server.shutdown()
                service.close()
            }
        }
    }
}
