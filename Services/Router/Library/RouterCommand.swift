import Foundation
import SwitchboardNet
import SwitchboardRuntime

/// The `switchboard-router` process.
public enum RouterCommand {
    public static let keys = [
        Settings.Key("listen", default: "127.0.0.1:7102", help: "host:port of the line protocol"),
        Settings.Key("database", default: "state/router.sqlite", help: "path of the SQLite file"),
        Settings.Key("directory", default: "127.0.0.1:7103", help: "host:port of switchboard-directory"),
        Settings.Key("notifier", default: "127.0.0.1:7104", help: "host:port of switchboard-notifier"),
    ]

    public static let secretNames = ["token", "directory-token", "notifier-token"]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-router", summary: "Assigns each contact to the right team member and explains why.",
            keys: keys, secretNames: secretNames, arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            let path = settings.string("database") ?? "state/router.sqlite"
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            func client(_ key: String, token: String) throws -> LineClient {
                guard let address = try settings.address(key) else { throw SettingsError("\(key) address missing") }
                var options = LineClientOptions(host: address.host, port: address.port)
                options.token = try secrets.value(token)
                options.clientName = "switchboard-router"
                options.requestTimeout = 5
                return LineClient(options: options)
            }
            let directory = try client("directory", token: "directory-token")
            let notifier = try client("notifier", token: "notifier-token")
            let service = try await RouterService(databasePath: path, directory: directory, notifier: notifier, logger: logger, metrics: metrics)
            var options = LineServerOptions()
            if let address = try settings.address("listen") {
                options.host = address.host
                options.port = address.port
            }
            options.token = try secrets.value("token")
            let server = LineServer(service: "router", options: options, logger: logger, metrics: metrics)
            service.register(on: server)
            let port = try server.start()
            service.start()
            return ServiceMain.Running(status: "lines=\(options.host):\(port)") {
                await server.shutdown()
                await service.stop()
                directory.close()
                notifier.close()
            }
        }
    }
}
