import Foundation
import Synchronization
import Testing
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardStore
import SwitchboardTestSupport

/// The real router with the real directory binary and a notifier stand-in that records enqueues.
@Suite(.serialized) struct RouterServiceTests {
    final class FakeNotifier: Sendable {
        let server: LineServer
        let items = Recorder<OutboxItem>()
        /// While on, every enqueue is answered `unavailable`.
        final class Refusal: Sendable {
            private let state = Mutex((on: false, refused: 0))
            var on: Bool {
                get { state.withLock { $0.on } }
                set { state.withLock { $0.on = newValue } }
            }
            /// How many enqueues were refused.
            var refused: Int { state.withLock { $0.refused } }
            /// Whether to refuse this enqueue (counted if so).
            func refuses() -> Bool {
                state.withLock { state in
                    if state.on { state.refused += 1 }
                    return state.on
                }
            }
        }
        let refusing = Refusal()

        init() throws {
            server = LineServer(service: "notifier", options: LineServerOptions(), logger: Logger(service: "fake-notifier", minimumLevel: .error), metrics: MetricsRegistry())
            struct Enqueue: Decodable, Sendable {
                var items: [OutboxItem]
                enum CodingKeys: String, CodingKey { case items }
            }
            server.register("notifier.enqueue") { [items, refusing] (request: Enqueue, _) in
                if refusing.refuses() { throw WireError.unavailable("refusing for the test") }
                for item in request.items { items.append(item) }
                return ["accepted": request.items.count]
            }
            _ = try server.listen()
        }

        var notifications: [UserNotification] { items.values.compactMap(\.notification) }
    }

    struct Mesh {
        let directory: ChildProcess
        let router: ChildProcess
        let routerClient: LineClient
        let directoryClient: LineClient
        let notifier: FakeNotifier
    }

    static func start(_ folder: TemporaryDirectory, scenario: String, notifier: FakeNotifier? = nil) async throws -> Mesh {
        try await start(folder, config: try scenarioConfig(scenario), notifier: notifier)
    }

    /// The configuration of the scenario file `name`, changed by `change`.
    static func scenarioConfig(_ name: String, _ change: (inout [String: Any]) -> Void = { _ in }) throws -> JSONValue {
        let document = try JSONSerialization.jsonObject(with: try SharedFiles.data("scenarios/\(name)")) as! [String: Any]
        var config = document["config"] as! [String: Any]
        change(&config)
        return try WireJSON.decode(JSONValue.self, from: Array(try JSONSerialization.data(withJSONObject: config)))
    }

    /// `routerArguments`: more flags for the router (`--test-clock true`).
    static func start(_ folder: TemporaryDirectory, config: JSONValue, notifier: FakeNotifier? = nil, routerArguments: [String] = []) async throws -> Mesh {
        let directory = try ChildProcess("switchboard-directory", ["--listen", "127.0.0.1:0", "--database", folder.file("directory.sqlite")])
        let directoryPort = try directory.listeningPort()
        let notifier = try notifier ?? FakeNotifier()
        let router = try ChildProcess("switchboard-router", [
            "--listen", "127.0.0.1:0", "--database", folder.file("router.sqlite"),
            "--directory", "127.0.0.1:\(directoryPort)", "--notifier", "127.0.0.1:\(notifier.server.port)",
        ] + routerArguments)
        let routerClient = LineClient(host: "127.0.0.1", port: try router.listeningPort())
        let directoryClient = LineClient(host: "127.0.0.1", port: directoryPort)
        let location = config["location"]!
        _ = try await directoryClient.call("directory.put_users", JSONValue.object([
            "location": location["id"]!, "timezone": location["timezone"]!, "users": config["users"] ?? .array([]),
        ]), as: JSONValue.self)
        _ = try await directoryClient.call("directory.put_teams", JSONValue.object(["location": location["id"]!, "teams": config["teams"] ?? .array([])]), as: JSONValue.self)
        _ = try await routerClient.call("router.put_config", JSONValue.object(["config": config]), as: JSONValue.self)
        return Mesh(directory: directory, router: router, routerClient: routerClient, directoryClient: directoryClient, notifier: notifier)
    }

    static func message(_ from: String, to: String, platform: Platform = .whatsapp, id: String = UUID().uuidString, at: String) -> InboundMessage {
        InboundMessage(provider: platform.rawValue, messageId: id, platform: platform, account: to, contact: from, text: "hello", at: RFC3339.parse(at)!)
    }

    struct Answer: Decodable, Equatable { var owner: String?; var reason: String }

    /// Waits (bounded) until the router has heard of directory version `version`.
    static func waitUntilRouterHeard(_ mesh: Mesh, directoryVersion version: Int) async throws {
        let heard = try await eventually {
            (try await mesh.routerClient.call("router.pending", EmptyBody(), as: [String: Int].self)["directoryVersion"] ?? 0) >= version
        }
        guard heard else { throw TestFailure("the router never heard of directory version \(version)") }
    }

    @Test func roundRobinDecisionsFollowTheDirectoryAndRepeatsChangeNothing() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, scenario: "02-round-robin-availability.json")
        var owners: [String?] = []
        for index in 1...4 {
            let answer = try await mesh.routerClient.call("router.route", Self.message("+1555222000\(index)", to: "+15550020001", id: "m\(index)", at: "2026-11-30T15:0\(index):00Z"), as: Answer.self)
            owners.append(answer.owner)
        }
        #expect(owners == ["u_a", "u_b", "u_c", "u_a"])
        let away = try await mesh.directoryClient.call("directory.update_user", JSONValue.object(["id": .string("u_b"), "set": .object(["away": .bool(true)])]), as: JSONValue.self)
        // The change notice reaches the router on its own connection: decide after it has.
        try await Self.waitUntilRouterHeard(mesh, directoryVersion: Int(away["version"]?.doubleValue ?? 0))
        let skipped = try await mesh.routerClient.call("router.route", Self.message("+15552220005", to: "+15550020001", id: "m5", at: "2026-11-30T15:10:00Z"), as: Answer.self)
        #expect(skipped == Answer(owner: "u_c", reason: "account"))
        let repeated = try await mesh.routerClient.call("router.route", Self.message("+15552220005", to: "+15550020001", id: "m5", at: "2026-11-30T15:10:00Z"), as: Answer.self)
        #expect(repeated == skipped)
        struct Loads: Decodable { var loads: [String: Int] }
        #expect(try await mesh.routerClient.call("router.loads", ["location": "loc_s02"], as: Loads.self).loads == ["u_a": 2, "u_b": 1, "u_c": 2])
        struct Explained: Decodable { var sentences: [String] }
        let explained = try await mesh.routerClient.call("router.explain", ["location": "loc_s02", "contact": "+15552220005"], as: Explained.self)
        #expect(explained.sentences.contains("  u_b: away"))
        #expect(explained.sentences.last == "Decision: u_c, because account.")
        try await eventually { mesh.notifier.notifications.count >= 5 }
        #expect(mesh.notifier.notifications.map(\.recipient) == ["u_a", "u_b", "u_c", "u_a", "u_c"])
        #expect(Set(mesh.notifier.items.values.map(\.id)).count == mesh.notifier.items.values.count)
    }

    /// Decisions' notifications leave from the store's thread when they follow the last one
    /// handed over; a manual assignment's (written by another path) and a refused enqueue send
    /// the router back to reading its outbox. Every notification arrives either way, in order.
    @Test func notificationsArriveAroundAManualAssignmentAndAfterTheNotifierRefusedThem() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, scenario: "02-round-robin-availability.json")
        func waitForNotifications(_ count: Int) async throws {
            try await eventually { mesh.notifier.notifications.count >= count }
        }
        _ = try await mesh.routerClient.call("router.route", Self.message("+15552220001", to: "+15550020001", id: "m1", at: "2026-11-30T15:01:00Z"), as: Answer.self)
        try await waitForNotifications(1)
        _ = try await mesh.routerClient.call(
            "router.assign", ["location": "loc_s02", "contact": "+15552220001", "user": "u_c", "at": "2026-11-30T15:02:00Z"], as: JSONValue.self)
        _ = try await mesh.routerClient.call("router.route", Self.message("+15552220002", to: "+15550020001", id: "m2", at: "2026-11-30T15:03:00Z"), as: Answer.self)
        try await waitForNotifications(3)
        #expect(mesh.notifier.notifications.map(\.recipient) == ["u_a", "u_c", "u_b"])

        mesh.notifier.refusing.on = true
        _ = try await mesh.routerClient.call("router.route", Self.message("+15552220003", to: "+15550020001", id: "m3", at: "2026-11-30T15:04:00Z"), as: Answer.self)
        #expect(try await eventually { mesh.notifier.refusing.refused > 0 })
        mesh.notifier.refusing.on = false
        _ = try await mesh.routerClient.call("router.route", Self.message("+15552220004", to: "+15550020001", id: "m4", at: "2026-11-30T15:05:00Z"), as: Answer.self)
        try await waitForNotifications(5)
        #expect(mesh.notifier.notifications.map(\.recipient) == ["u_a", "u_c", "u_b", "u_c", "u_a"])
        #expect(try await eventually {
            try await mesh.routerClient.call("router.pending", EmptyBody(), as: [String: Int].self)["outbox"] == 0
        }, "every row delivered is deleted")
    }

    /// A configuration applied while decisions stream in governs every message sent after
    /// `put_config` answered: a decision still holding the old version when the new one lands
    /// must not leave the old version's compiled form behind for later messages.
    @Test func everyMessageSentAfterPutConfigAnsweredIsDecidedByTheNewVersion() async throws {
        let folder = TemporaryDirectory()
        func config(salesUser: String) throws -> JSONValue {
            try Self.scenarioConfig("01-account-assignment.json") { config in
                // A rule, not the account's own assignment: a decision reads the rules from
                // its compiled configuration, the account from the message's lookup.
                config["rules"] = [["id": "r_sales", "priority": 1, "when": ["accounts": ["acc_sales"]], "then": ["target": ["user": salesUser]]]]
            }
        }
        let mesh = try await Self.start(folder, config: try config(salesUser: "u_alice"))
        final class Streaming: Sendable { let on = Atomic<Bool>(true) }
        let streaming = Streaming()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in 0..<8 {
                // A connection of its own: a connection's ops are read in order, so messages
                // on put_config's connection could not be in flight while it runs.
                let client = LineClient(host: "127.0.0.1", port: mesh.routerClient.options.port)
                group.addTask {
                    var index = 0
                    while streaming.on.load(ordering: .relaxed) {
                        index += 1
                        let message = Self.message("+155\(String(format: "%02d", stream))\(String(format: "%06d", index))", to: "+15550010001", at: "2026-11-30T15:00:00Z")
                        _ = try await client.call("router.route", message, as: Answer.self)
                        // A contact event too: it takes the configuration, then waits for the
                        // location's queued decisions before it decides.
                        _ = try await client.call("router.tag", JSONValue.object([
                            "location": .string("loc_s01"), "contact": .string(message.contact), "tags": .array([.string("seen")]),
                        ]), as: JSONValue.self)
                    }
                }
            }
            for flip in 1...40 {
                let user = flip.isMultiple(of: 2) ? "u_alice" : "u_bob"
                _ = try await mesh.routerClient.call("router.put_config", JSONValue.object(["config": try config(salesUser: user)]), as: JSONValue.self)
                let probe = Self.message("+1557000\(String(format: "%04d", flip))", to: "+15550010001", at: "2026-11-30T15:00:00Z")
                let answer = try await mesh.routerClient.call("router.route", probe, as: Answer.self)
                #expect(answer.owner == user, "version \(flip + 1) sends the sales line to \(user)")
            }
            streaming.on.store(false, ordering: .relaxed)
            try await group.waitForAll()
        }
    }

    @Test func unknownAccountsAreNotFoundAndAnUnreachableDirectoryIsRetryable() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, scenario: "01-account-assignment.json")
        await #expect(throws: WireError.notFound("no account for whatsapp:+15559999999")) {
            _ = try await mesh.routerClient.call("router.route", Self.message("+15551110009", to: "+15559999999", at: "2026-11-30T15:00:00Z"), as: Answer.self)
        }
        mesh.directory.signal(SIGKILL)
        _ = try mesh.directory.waitForExit()
        do {
            _ = try await mesh.routerClient.call("router.route", Self.message("+15551110001", to: "+15550010001", id: "later", at: "2026-11-30T15:00:00Z"), as: Answer.self)
            Issue.record("expected unavailable")
        } catch let error as WireError {
            #expect(error.code == .unavailable && error.retryable)
        }
        struct Contact: Decodable { var contact: JSONValue }
        await #expect(throws: WireError.self) {
            _ = try await mesh.routerClient.call("router.contact", ["location": "loc_s01", "contact": "+15551110001"], as: Contact.self)
        }
    }

    /// The router as the clients currently reach it; replaced after each SIGKILL.
    final class CurrentRouter: Sendable {
        private let state: Mutex<(process: ChildProcess, client: LineClient)>

        init(_ mesh: Mesh) {
            state = Mutex((mesh.router, mesh.routerClient))
        }

        var client: LineClient { state.withLock { $0.client } }

        func restart(folder: TemporaryDirectory, directoryPort: UInt16, notifierPort: UInt16, arguments: [String] = []) throws {
            let old = state.withLock { $0.process }
            old.signal(SIGKILL)
            _ = try old.waitForExit()
            let router = try ChildProcess("switchboard-router", [
                "--listen", "127.0.0.1:0", "--database", folder.file("router.sqlite"),
                "--directory", "127.0.0.1:\(directoryPort)", "--notifier", "127.0.0.1:\(notifierPort)",
            ] + arguments)
            let client = LineClient(host: "127.0.0.1", port: try router.listeningPort())
            state.withLock { $0 = (router, client) }
        }

        func stop() {
            state.withLock { $0.process }.stop()
        }
    }

    /// 16 clients retry 2,000 routes while the router is SIGKILLed at three seeded random moments
    /// and restarted on its file: every message ends with exactly one decision (counted in the
    /// file), and every contact's notification reaches the notifier with a stable id.
    @Test(.timeLimit(.minutes(3)))
    func routerKilledAtRandomWhileClientsRetryDecidesEveryMessageExactlyOnce() async throws {
        let folder = TemporaryDirectory()
        let notifier = try FakeNotifier()
        let mesh = try await Self.start(folder, scenario: "02-round-robin-availability.json", notifier: notifier)
        let router = CurrentRouter(mesh)
        let total = 2_000
        let clients = 16
        var generator = SeededGenerator.forTest(seed: 2026_11_28)
        let killPoints = (0..<3).map { _ in Int.random(in: 100..<(total - 100), using: &generator) }.sorted()
        final class Answered: Sendable { let count = Atomic<Int>(0) }
        let answered = Answered()
        let directoryPort = mesh.directoryClient.options.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for index in stride(from: client, to: total, by: clients) {
                        let message = Self.message("+1555300\(String(format: "%04d", index))", to: "+15550020001", id: "k\(index)", at: "2026-11-30T15:00:00Z")
                        // Not `callRetrying`: each attempt takes the current client, since a
                        // restarted router listens on a new port.
                        let deadline = Date().addingTimeInterval(60)
                        while true {
                            do {
                                _ = try await router.client.call("router.route", message, as: Answer.self, timeout: 5)
                                break
                            } catch let error as WireError where error.retryable && Date() < deadline {
                                try await Task.sleep(for: .milliseconds(5))
                            }
                        }
                        answered.count.add(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                for point in killPoints {
                    try await eventually(timeout: 60, every: .milliseconds(1)) { answered.count.load(ordering: .relaxed) >= point }
                    try router.restart(folder: folder, directoryPort: directoryPort, notifierPort: notifier.server.port)
                }
            }
            try await group.waitForAll()
        }
        try await eventually(timeout: 30) { Set(notifier.notifications.map(\.contact)).count >= total }
        #expect(Set(notifier.notifications.map(\.contact)).count == total)
        let ids = notifier.items.values.filter { $0.notification != nil }.map(\.id)
        #expect(Set(ids).count == total, "one stable id per decision's notification, however often it was handed over")
        router.stop()
        let database = try Database(path: folder.file("router.sqlite"))
        let counts = try database.first("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM decisions WHERE event = 'inbound'") { ($0.int(0), $0.int(1)) }
        #expect(counts?.0 == total && counts?.1 == total, "decisions \(String(describing: counts))")
    }

    /// Messages decided together in one pipeline batch see each other's loads, repeats in flight
    /// get the first answer, and an event run beside them (resolve) is seen by the next batch.
    @Test func concurrentMessagesFillCapacityExactlyAndRepeatsInFlightShareOneDecision() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, scenario: "04-capacity-backup-queue.json")
        struct Routed: Decodable, Equatable { var contact: String; var owner: String?; var reason: String }
        func route(_ index: Int) async throws -> Routed {
            try await mesh.routerClient.call("router.route", Self.message(
                "+1555400\(String(format: "%04d", index))", to: "+15550040001", platform: .imessage, id: "c\(index)", at: "2026-11-30T15:00:00Z"), as: Routed.self)
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Routed).self) { group in
            for index in 0..<40 {
                for _ in 0..<2 { group.addTask { (index, try await route(index)) } }
            }
            return try await group.reduce(into: [Int: [Routed]]()) { $0[$1.0, default: []].append($1.1) }
        }
        #expect(answers.values.allSatisfy { $0.count == 2 && $0[0] == $0[1] })
        let owners = answers.values.map { $0[0].owner ?? "-" }
        #expect(owners.filter { $0 == "u_p" }.count == 1)
        #expect(owners.filter { $0 == "u_q" }.count == 2)
        #expect(owners.filter { $0 == "u_lead" }.count == 37)
        struct Loads: Decodable { var loads: [String: Int] }
        #expect(try await mesh.routerClient.call("router.loads", ["location": "loc_s04"], as: Loads.self).loads == ["u_p": 1, "u_q": 2, "u_lead": 37])

        for answer in answers.values.map({ $0[0] }) where answer.owner == "u_q" {
            _ = try await mesh.routerClient.call("router.resolve", ["location": "loc_s04", "contact": answer.contact], as: JSONValue.self)
        }
        let next = try await withThrowingTaskGroup(of: Routed.self) { group in
            for index in 40..<43 { group.addTask { try await route(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(next.map { $0.owner ?? "-" }.sorted() == ["u_lead", "u_q", "u_q"])
    }
}
