import Foundation
import SwitchboardCodec
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardStore

/// Helper processes for tests that need a real child to signal or kill (not shipped).
///
/// - `echo-server`: a ``LineServer`` with `test.echo` and `test.sleep`, under ``ServiceMain``.
/// - `store-writer PATH`: commits batches of 100 rows, announcing each, then opens one more
///   transaction, writes half of it, announces `mid-transaction K` and blocks until killed.
enum TestKitCommands {
    static func main(_ arguments: [String]) async -> Int32 {
        guard let command = arguments.first else {
            FileHandle.standardError.write(Data("usage: switchboard-testkit echo-server|store-writer …\n".utf8))
            return 64
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "echo-server": return await echoServer(rest)
        case "store-writer": return await storeWriter(rest)
        default:
            FileHandle.standardError.write(Data("unknown command \(command)\n".utf8))
            return 64
        }
    }

    struct SleepBody: Codable, Sendable {
        var milliseconds: Int
        enum CodingKeys: String, CodingKey { case milliseconds }
    }

    static func echoServer(_ arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "testkit-echo", summary: "A line server for tests.",
            keys: [Settings.Key("listen", default: "127.0.0.1:0", help: "host:port")],
            secretNames: ["token"], arguments: arguments
        ) { settings, secrets, logger in
            var options = LineServerOptions()
            if let address = try settings.address("listen") {
                options.host = address.host
                options.port = address.port
            }
            options.token = try secrets.value("token")
            let server = LineServer(service: "testkit-echo", options: options, logger: logger, metrics: MetricsRegistry())
            server.register("test.echo") { (body: JSONValue, _) in body }
            server.register("test.sleep") { (body: SleepBody, _) in
                try await Task.sleep(for: .milliseconds(body.milliseconds))
                return body
            }
            let port = try server.listen()
            return ServiceMain.Running(status: "lines=\(options.host):\(port)") { await server.stop() }
        }
    }

    static func storeWriter(_ arguments: [String]) async -> Int32 {
        guard let path = arguments.first else { return 64 }
        do {
            let store = try Store(path: path, durability: .full, migrations: [
                Migration("rows", sql: "CREATE TABLE rows (batch INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (batch, n))"),
            ])
            for batch in 1...5 {
                try await store.write { database in
                    for n in 0..<100 { try database.run("INSERT INTO rows (batch, n) VALUES (?, ?)", [.integer(batch), .integer(n)]) }
                }
                announce("committed \(batch)")
            }
            try await store.write { database in
                for n in 0..<50 { try database.run("INSERT INTO rows (batch, n) VALUES (?, ?)", [.integer(6), .integer(n)]) }
                announce("mid-transaction 6")
                while true { pause() }
            }
        } catch {
            FileHandle.standardError.write(Data("store-writer: \(error)\n".utf8))
            return 1
        }
        return 0
    }

    static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
