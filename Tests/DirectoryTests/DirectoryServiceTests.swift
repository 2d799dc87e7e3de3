import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardTestSupport

/// The real `switchboard-directory` binary on port 0 with a temporary database.
@Suite(.serialized) struct DirectoryServiceTests {
    struct Running {
        let process: ChildProcess
        let client: LineClient
    }

    static func start(_ directory: TemporaryDirectory) throws -> Running {
        let process = try ChildProcess("switchboard-directory", ["--listen", "127.0.0.1:0", "--database", directory.file("directory.sqlite")])
        let port = try process.listeningPort()
        return Running(process: process, client: LineClient(host: "127.0.0.1", port: port))
    }

    static let users: JSONValue = try! WireJSON.decode(JSONValue.self, from: Array("""
        {"location": "loc_acme", "timezone": "America/New_York", "users": [
          {"id": "u_owner", "name": "Olivia Owner"},
          {"id": "u_alice", "name": "Alice Ng", "timezone": "America/Los_Angeles", "schedule": {"mon": ["08:00-16:00"]}, "maxOpen": 40,
           "notify": [{"channel": "webhook", "url": "https://hooks.example.com/alice"}]},
          {"id": "u_bob", "name": "Bob Reyes", "notify": [{"channel": "slack", "url": "https://hooks.slack.com/services/T0/B0/X"}]},
          {"id": "u_carol", "name": "Carol Diaz", "maxOpen": 25},
          {"id": "u_dana", "name": "Dana", "away": true},
          {"id": "u_eve", "name": "Eve", "active": false},
          {"id": "u_fay", "name": "Fay", "assignable": false}
        ]}
        """.utf8))

    static let teams: JSONValue = try! WireJSON.decode(JSONValue.self, from: Array("""
        {"location": "loc_acme", "teams": [
          {"id": "t_sales", "name": "Sales", "lead": "u_bob", "members": ["u_alice", "u_carol", "u_dana", "u_eve", "u_fay"]}
        ]}
        """.utf8))

    struct Write: Decodable, Equatable { var version: Int; var changed: Bool }
    struct Users: Decodable { var users: [DirectoryUser]; var version: Int }
    struct Teams: Decodable { var teams: [Team] }
    struct User: Decodable { var user: DirectoryUser; var version: Int }

    static func apply(_ client: LineClient) async throws -> (Write, Write) {
        let users = try await client.call("directory.put_users", Self.users, as: Write.self)
        let teams = try await client.call("directory.put_teams", Self.teams, as: Write.self)
        return (users, teams)
    }

    @Test func applyingTheSameConfigurationTwiceChangesNothing() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        let (first, second) = try await Self.apply(running.client)
        #expect(first == Write(version: 1, changed: true))
        #expect(second == Write(version: 2, changed: true))
        let (again, againTeams) = try await Self.apply(running.client)
        #expect(again == Write(version: 2, changed: false))
        #expect(againTeams == Write(version: 2, changed: false))
        let listed = try await running.client.call("directory.list_users", ["location": "loc_acme"], as: Users.self)
        #expect(listed.users.map(\.id) == ["u_alice", "u_bob", "u_carol", "u_dana", "u_eve", "u_fay", "u_owner"])
        #expect(listed.users.first?.locations == ["loc_acme"])
        let teams = try await running.client.call("directory.list_teams", ["location": "loc_acme"], as: Teams.self)
        #expect(teams.teams.first?.members.first == "u_alice")
    }

    @Test func resolveGivesCandidatesInRotationOrderWithEveryReason() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        _ = try await Self.apply(running.client)
        // Monday 2026-11-30 02:40 UTC is Sunday 18:40 in Los Angeles: Alice is off shift.
        let request = ResolveRequest(location: "loc_acme", target: .team("t_sales", .roundRobin), at: RFC3339.parse("2026-11-30T02:40:00Z"))
        let resolved = try await running.client.call("directory.resolve", request, as: ResolveResponse.self)
        #expect(resolved.candidates.map(\.id) == ["u_alice", "u_carol", "u_dana", "u_eve", "u_fay"])
        let reasons = Dictionary(uniqueKeysWithValues: resolved.candidates.map { ($0.id, $0.reasons.map(\.detail)) })
        #expect(reasons["u_alice"] == ["off shift (18:40 in America/Los_Angeles)"])
        #expect(reasons["u_carol"] == [])
        #expect(reasons["u_dana"] == ["away"])
        #expect(reasons["u_eve"] == ["inactive"])
        #expect(reasons["u_fay"] == ["not assignable"])
        #expect(resolved.candidates.first?.maxOpen == 40)
        #expect(resolved.candidates.first?.notify == [NotifyChannel(channel: .webhook, url: "https://hooks.example.com/alice")])

        let onShift = ResolveRequest(location: "loc_acme", target: .team("t_sales", .roundRobin), at: RFC3339.parse("2026-11-30T17:00:00Z"))
        #expect(try await running.client.call("directory.resolve", onShift, as: ResolveResponse.self).candidates.first?.eligible == true)

        let lead = ResolveRequest(location: "loc_acme", target: .team("t_sales", .lead), at: nil)
        #expect(try await running.client.call("directory.resolve", lead, as: ResolveResponse.self).candidates.map(\.id) == ["u_bob"])

        let pool = ResolveRequest(location: "loc_acme", target: .pool(["u_carol", "u_bob"], .weighted, weights: ["u_carol": 3]), at: nil)
        #expect(try await running.client.call("directory.resolve", pool, as: ResolveResponse.self).candidates.map(\.weight) == [3, 1])
    }

    @Test func patchesRemovalAndTheirVersions() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        _ = try await Self.apply(running.client)
        let patched = try await running.client.call(
            "directory.update_user", try WireJSON.decode(JSONValue.self, from: Array(#"{"id":"u_carol","set":{"away":true,"maxOpen":null}}"#.utf8)),
            as: User.self)
        #expect(patched.user.away && patched.user.maxOpen == nil)
        #expect(patched.version == 3)
        let removed = try await running.client.call("directory.remove_user", ["id": "u_bob"], as: User.self)
        #expect(!removed.user.active && removed.user.removed)
        let fetched = try await running.client.call("directory.get_user", ["id": "u_bob"], as: User.self)
        #expect(fetched.user.name == "Bob Reyes")
    }

    @Test(arguments: [
        ("directory.put_users", #"{"location":"loc_x","timezone":"Mars/Olympus","users":[]}"#, "timezone: unknown time zone \"Mars/Olympus\""),
        ("directory.put_users", #"{"location":"loc_acme","users":[{"id":"u_z","name":"Z","schedule":{"mon":["9-5"]}}]}"#,
         "users[0].schedule: invalid time range \"9-5\" (use HH:MM-HH:MM)"),
        ("directory.put_users", #"{"location":"loc_acme","users":[{"id":"u_z","name":"Z","notify":[{"channel":"pager"}]}]}"#,
         "users[0].notify[0].channel is invalid: unknown channel \"pager\" (webhook, slack or file)"),
        ("directory.put_teams", #"{"location":"loc_acme","teams":[{"id":"t","name":"T","members":["u_alice","u_ghost"]}]}"#,
         "teams[0].members[1]: unknown user u_ghost"),
        ("directory.update_user", #"{"id":"u_alice","set":{"awya":true}}"#, "unknown field awya"),
        ("directory.put_users", #"{"location":"loc_acme"}"#, "missing field body.users"),
    ])
    func badInputIsRefusedAndChangesNothing(op: String, body: String, message: String) async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        _ = try await Self.apply(running.client)
        let before = try await running.client.call("directory.version", EmptyBody(), as: [String: Int].self)
        do {
            _ = try await running.client.call(op, try WireJSON.decode(JSONValue.self, from: Array(body.utf8)), as: JSONValue.self)
            Issue.record("expected \(op) to fail")
        } catch let error as WireError {
            #expect(error.code == .badRequest)
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(try await running.client.call("directory.version", EmptyBody(), as: [String: Int].self) == before)
    }

    @Test func unknownEntitiesAreNotFound() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        _ = try await Self.apply(running.client)
        await #expect(throws: WireError.notFound("no user u_nobody")) {
            _ = try await running.client.call("directory.get_user", ["id": "u_nobody"], as: JSONValue.self)
        }
        await #expect(throws: WireError.notFound("no team t_none in loc_acme")) {
            _ = try await running.client.call("directory.resolve", ResolveRequest(location: "loc_acme", target: .team("t_none", .lead), at: nil), as: JSONValue.self)
        }
    }

    @Test func dataSurvivesARestart() async throws {
        let directory = TemporaryDirectory()
        let first = try Self.start(directory)
        _ = try await Self.apply(first.client)
        first.client.close()
        first.process.signal(SIGTERM)
        #expect(try first.process.waitForExit() == 0)
        let second = try Self.start(directory)
        let user = try await second.client.call("directory.get_user", ["id": "u_alice"], as: User.self)
        #expect(user.user.schedule == ["mon": ["08:00-16:00"]])
        #expect(user.version == 2)
    }

    @Test func watchersHearEveryChange() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        let events = AsyncStream<Int>.makeStream()
        try await running.client.subscribe("directory.watch", EmptyBody()) { name, line in
            guard name == "directory.changed", let body = try? Envelope.decodeBody([String: Int].self, from: line) else { return }
            events.continuation.yield(body["version"] ?? -1)
        }
        let watcher = LineClient(host: "127.0.0.1", port: running.client.options.port)
        _ = try await Self.apply(watcher)
        var iterator = events.stream.makeAsyncIterator()
        #expect(await iterator.next() == 1)
        let second = await iterator.next()
        #expect(second == 2, "got \(String(describing: second))")
    }

    @Test func importsGoHighLevelUsersKeepingWhatSwitchboardOwns() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        let setup = try WireJSON.decode(JSONValue.self, from: Array("""
            {"location": "ve9EPM428h8vShlRW1KT", "timezone": "America/Chicago", "users": [
              {"id": "y0BeYjuRIlDwsDcOHOJo", "name": "Ana", "maxOpen": 12, "schedule": {"tue": ["09:00-17:00"]}}]}
            """.utf8))
        _ = try await running.client.call("directory.put_users", setup, as: Write.self)
        let response = try WireJSON.decode(JSONValue.self, from: Array(try SharedFiles.data("payloads/ghl-users-by-location-response.json")))
        let imported = try await running.client.call(
            "directory.import_ghl_users", JSONValue.object(["location": .string("ve9EPM428h8vShlRW1KT"), "response": response]), as: Write.self)
        #expect(imported.changed)
        let ana = try await running.client.call("directory.get_user", ["id": "y0BeYjuRIlDwsDcOHOJo"], as: User.self).user
        #expect(ana.name == "Ana Ruiz" && ana.email == "ana@example.com" && ana.maxOpen == 12 && ana.schedule != nil && ana.active)
        let john = try await running.client.call("directory.get_user", ["id": "0IHuJvc2ofPAAA8GzTRi"], as: User.self).user
        #expect(!john.active)
        #expect(john.locations == ["ve9EPM428h8vShlRW1KT"])
    }
}
