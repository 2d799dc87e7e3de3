import Foundation
import SwitchboardCodec
import SwitchboardDirectory
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// `directory.resolve` calls per second for a 50-member team over one pipelined connection.
struct DirectoryBenchmark {
    let seconds: Double

    func run() async throws {
        let folder = try benchmarkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logger = Logger(service: "bench", minimumLevel: .error)
        let service = try await DirectoryService(databasePath: folder.appendingPathComponent("directory.sqlite").path, logger: logger, metrics: MetricsRegistry())
        let server = LineServer(service: "directory", options: LineServerOptions(), logger: logger, metrics: MetricsRegistry())
        service.register(on: server)
        let port = try server.listen()
        let client = LineClient(host: "127.0.0.1", port: port)

        let users = (0..<50).map { index in
            DirectoryUser(
                id: "u_\(index)", name: "Member \(index)", away: index % 10 == 3,
                timezone: index % 2 == 0 ? "America/Los_Angeles" : nil,
                schedule: index % 3 == 0 ? ["mon": ["08:00-16:00"], "tue": ["08:00-16:00"], "sat": ["22:00-06:00"]] : nil,
                maxOpen: 40, notify: [NotifyChannel(channel: .webhook, url: "https://hooks.example.com/u\(index)")])
        }
        struct PutUsers: Encodable, Sendable { var location: String; var timezone: String; var users: [DirectoryUser] }
        struct PutTeams: Encodable, Sendable { var location: String; var teams: [Team] }
        _ = try await client.call("directory.put_users", PutUsers(location: "loc_bench", timezone: "America/New_York", users: users), as: JSONValue.self)
        _ = try await client.call("directory.put_teams", PutTeams(location: "loc_bench", teams: [Team(id: "t_big", name: "Big", members: users.map(\.id))]), as: JSONValue.self)

        let request = ResolveRequest(location: "loc_bench", target: .team("t_big", .roundRobin), at: RFC3339.parse("2026-11-30T17:00:00Z"))
        let line = try Envelope.request(id: "b1", op: "directory.resolve", body: request)
        let blocking = try await onOwnThread { try BlockingLineClient(port: port, request: line).run(window: 64, seconds: seconds) }
        report("directory.resolve, 50-member team, 64 in flight, blocking client", blocking, "calls/s", target: 10000)

        let deadline = Date().addingTimeInterval(seconds)
        let started = Date()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var done = 0
                    while Date() < deadline {
                        _ = try await client.call("directory.resolve", request, as: ResolveResponse.self)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        report("directory.resolve, 50-member team, 64 in flight, LineClient", Double(total) / Date().timeIntervalSince(started), "calls/s")
        client.close()
        await server.stop()
        service.close()
    }
}
