import Foundation
import Testing
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardNotifier
import SwitchboardRuntime
import SwitchboardTestSupport

/// The real `switchboard-notifier` binary against local HTTP receivers the tests start.
@Suite(.serialized) struct NotifierServiceTests {
    static let secret = "whsec_test_5f2b8c"

    struct Running {
        let process: ChildProcess
        let client: LineClient
    }

    /// `ghlToken`: the GoHighLevel credential (nil: CRM sync not configured).
    static func start(_ directory: TemporaryDirectory, crm: RecordingReceiver? = nil, extra: [String] = [], ghlToken: String? = "ghl-test-token") throws -> Running {
        var arguments = ["--listen", "127.0.0.1:0", "--database", directory.file("notifier.sqlite"), "--retry-initial", "0.05", "--retry-maximum", "0.2"]
        if let crm { arguments += ["--crm-base-url", crm.url("")] }
        var environment = ["SWITCHBOARD_WEBHOOK_SECRET": secret]
        environment["SWITCHBOARD_GHL_TOKEN"] = ghlToken
        let process = try ChildProcess("switchboard-notifier", arguments + extra, environment: environment)
        let port = try process.listeningPort()
        return Running(process: process, client: LineClient(host: "127.0.0.1", port: port))
    }

    static func notification(_ id: String, channels: [NotifyChannel], kind: NotificationKind = .assigned) -> OutboxItem {
        OutboxItem(id: id, notification: UserNotification(
            recipient: "u_alice", channels: channels, kind: kind, location: "loc_acme", contact: "+15551230001", contactName: "Ann",
            account: "+15550001111", accountName: "Sales Line", platform: .whatsapp, at: RFC3339.parse("2026-11-30T15:00:00Z")!,
            summary: "Ann was assigned to Alice"))
    }

    static func pending(_ client: LineClient) async throws -> [String: Int] {
        try await client.call("notifier.pending", EmptyBody(), as: [String: Int].self)
    }

    static func waitUntil(_ client: LineClient, timeout: Double = 20, _ predicate: ([String: Int]) -> Bool) async throws {
        var counts: [String: Int] = [:]
        let reached = try await eventually(timeout: timeout, every: .milliseconds(20)) {
            counts = try await pending(client)
            return predicate(counts)
        }
        guard reached else { throw TestFailure("queue never reached the expected state: \(counts)") }
    }

    @Test func webhookSlackAndFileDeliveriesCarryTheirSignatureHeadersAndText() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/alice", [HTTPResponse(status: 200)])
        receiver.script("/slack", [HTTPResponse(status: 200)])
        let running = try Self.start(directory)
        let channels = [
            NotifyChannel(channel: .webhook, url: receiver.url("/alice")),
            NotifyChannel(channel: .slack, url: receiver.url("/slack")),
            NotifyChannel(channel: .file, path: directory.file("notifications.jsonl")),
        ]
        let answer = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [Self.notification("n1", channels: channels)]), as: EnqueueResponse.self)
        #expect(answer == EnqueueResponse(accepted: 1, duplicates: 0))
        try await Self.waitUntil(running.client) { $0["delivered"] == 3 }

        let webhook = try #require(receiver.requests.first { $0.path == "/alice" })
        let timestamp = try #require(webhook.headers["x-switchboard-timestamp"])
        let expected = "sha256=" + Hex.encode(HMAC.authenticationCode(.sha256, key: Array(Self.secret.utf8), message: Array((timestamp + ".").utf8) + webhook.body))
        #expect(webhook.headers["x-switchboard-signature"] == expected)
        #expect(webhook.headers["x-switchboard-delivery-id"] == "n1/0")
        #expect(String(decoding: webhook.body, as: UTF8.self).contains(#""kind":"assigned""#))

        let slack = try #require(receiver.requests.first { $0.path == "/slack" })
        let text = try JSONDecoder().decode([String: String].self, from: Data(slack.body))["text"]
        #expect(text == "New WhatsApp contact Ann (+15551230001) assigned to you via Sales Line")

        let lines = try String(contentsOfFile: directory.file("notifications.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(#""deliveryId":"n1/2""#))

        let again = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [Self.notification("n1", channels: channels)]), as: EnqueueResponse.self)
        #expect(again == EnqueueResponse(accepted: 0, duplicates: 1))
        await receiver.stop()
    }

    /// A contact's own profile name cannot ping the channel or plant a link in Slack; the signed
    /// webhook carries it as it is, in JSON.
    @Test func slackTextEscapesContactSuppliedFieldsAndWebhookBodiesStayRaw() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/slack", [HTTPResponse(status: 200)])
        receiver.script("/hook", [HTTPResponse(status: 200)])
        let running = try Self.start(directory)
        let hostile = "<!channel> & <https://evil.example|click me>"
        var item = Self.notification("n-hostile", channels: [
            NotifyChannel(channel: .slack, url: receiver.url("/slack")), NotifyChannel(channel: .webhook, url: receiver.url("/hook")),
        ])
        item.notification?.contactName = hostile
        item.notification?.accountName = "Sales <Line>"
        _ = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [item]), as: EnqueueResponse.self)
        try await Self.waitUntil(running.client) { $0["delivered"] == 2 }
        let slack = try #require(receiver.requests.first { $0.path == "/slack" })
        let text = try #require(try JSONDecoder().decode([String: String].self, from: Data(slack.body))["text"])
        #expect(text == "New WhatsApp contact &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt; (+15551230001) assigned to you via Sales &lt;Line&gt;")
        #expect(!text.contains("<!channel>") && !text.contains("<https://"))
        let webhook = try #require(receiver.requests.first { $0.path == "/hook" })
        struct Body: Decodable { struct Notification: Decodable { var contactName: String? }; var notification: Notification }
        #expect(try JSONDecoder().decode(Body.self, from: Data(webhook.body)).notification.contactName == hostile)
        await receiver.stop()
    }

    /// Enqueues on many connections race the delivery loop: deliveries start straight from the
    /// enqueue's commit when there is room, the rest by the loop, and none is attempted twice.
    @Test func deliveriesStartedFromTheCommitOrByTheLoopAreEachAttemptedOnce() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory, extra: ["--concurrency", "4"])
        let path = directory.file("notifications.jsonl")
        let port = running.client.options.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in 0..<10 {
                let client = LineClient(host: "127.0.0.1", port: port)
                group.addTask {
                    for index in 0..<30 {
                        let item = Self.notification("burst-\(connection)-\(index)", channels: [NotifyChannel(channel: .file, path: path)])
                        _ = try await client.call("notifier.enqueue", EnqueueRequest(items: [item]), as: EnqueueResponse.self)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await Self.waitUntil(running.client) { $0["delivered"] == 300 }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 300, "one line per delivery, none twice")
        #expect(Set(lines).count == 300)
        let started = try await running.client.call("metrics", EmptyBody(), as: MetricsSnapshot.self).counters
        #expect(started["switchboard_deliveries_started_total{by=\"commit\"}", default: 0] > 0, "\(started)")
        #expect(started["switchboard_deliveries_started_total{by=\"commit\"}", default: 0]
            + started["switchboard_deliveries_started_total{by=\"loop\"}", default: 0] == 300)
    }

    @Test func aReceiverAnswering500Then200GetsTheItemOnceMore() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/flaky", [HTTPResponse(status: 500), HTTPResponse(status: 200)])
        let running = try Self.start(directory)
        _ = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [Self.notification("n2", channels: [NotifyChannel(channel: .webhook, url: receiver.url("/flaky"))])]), as: EnqueueResponse.self)
        try await Self.waitUntil(running.client) { $0["delivered"] == 1 }
        #expect(receiver.requests.count == 2)
        #expect(Set(receiver.requests.map { $0.headers["x-switchboard-delivery-id"] }) == ["n2/0"])
        await receiver.stop()
    }

    /// On the notifier's test clock: after a 429 with `Retry-After: 1` nothing is attempted
    /// until that second has passed on its clock, and then at once; no test time is spent waiting.
    @Test func a429WithRetryAfterHoldsTheNextAttemptUntilThatTimeOnTheNotifiersClock() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/busy", [HTTPResponse(status: 429, headers: [("Retry-After", "1")]), HTTPResponse(status: 200)])
        let running = try Self.start(directory, extra: ["--test-clock", "true"])
        _ = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [Self.notification("n3", channels: [NotifyChannel(channel: .webhook, url: receiver.url("/busy"))])]), as: EnqueueResponse.self)
        struct Listed: Decodable { var deliveries: [Delivery] }
        struct Delivery: Decodable { var status: String; var lastStatus: Int? }
        #expect(try await eventually {
            try await running.client.call("notifier.list", ["status": "pending"], as: Listed.self).deliveries.first?.lastStatus == 429
        })
        struct Moved: Decodable { var now: String }
        _ = try await running.client.call("notifier.advance_clock", ["seconds": 0.5], as: Moved.self)
        #expect(receiver.requests.count == 1, "half the wait has passed on the notifier's clock")
        _ = try await running.client.call("notifier.advance_clock", ["seconds": 0.5], as: Moved.self)
        try await Self.waitUntil(running.client) { $0["delivered"] == 1 }
        #expect(receiver.requests.count == 2)
        await receiver.stop()
    }

    @Test func theClockCannotBeMovedWithoutTestClock() async throws {
        let directory = TemporaryDirectory()
        let running = try Self.start(directory)
        await #expect(throws: WireError.self) {
            _ = try await running.client.call("notifier.advance_clock", ["seconds": 1.0], as: JSONValue.self)
        }
    }

    @Test func aCRMUpdateWithoutACredentialIsSkippedAsItIsCommittedNeverAttempted() async throws {
        let directory = TemporaryDirectory()
        let ghl = try RecordingReceiver()
        let running = try Self.start(directory, crm: ghl, ghlToken: nil)
        let update = OutboxItem(id: "crm-unconfigured", crm: CRMUpdate(location: "loc_acme", contact: "+15551230001", assignedTo: "u_alice", tags: [], sequence: 1))
        let answer = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [update]), as: EnqueueResponse.self)
        #expect(answer.accepted == 1)
        // Skipped in the enqueue's own transaction: no attempt to wait for.
        #expect(try await Self.pending(running.client)["pending"] ?? 0 == 0)
        struct Listed: Decodable { var deliveries: [Delivery] }
        struct Delivery: Decodable { var id: String; var lastError: String? }
        let skipped = try await running.client.call("notifier.list", ["status": "skipped"], as: Listed.self).deliveries
        #expect(skipped.map(\.id) == ["crm-unconfigured"])
        #expect(skipped.first?.lastError == "CRM sync is not configured for loc_acme")
        #expect(ghl.requests.isEmpty)
        await ghl.stop()
    }

    @Test func a404IsDeadLetteredAndRetrySendsItAgain() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/gone", [HTTPResponse(status: 404, body: Array("no such hook".utf8)), HTTPResponse(status: 200)])
        let running = try Self.start(directory)
        _ = try await running.client.call("notifier.enqueue", EnqueueRequest(items: [Self.notification("n4", channels: [NotifyChannel(channel: .webhook, url: receiver.url("/gone"))])]), as: EnqueueResponse.self)
        try await Self.waitUntil(running.client) { $0["dead"] == 1 }
        struct Listed: Decodable { var deliveries: [Delivery] }
        struct Delivery: Decodable { var id: String; var lastStatus: Int?; var lastError: String? }
        let dead = try await running.client.call("notifier.list", ["status": "dead"], as: Listed.self)
        #expect(dead.deliveries.first?.lastStatus == 404)
        #expect(dead.deliveries.first?.lastError?.contains("no such hook") == true)
        let requeued = try await running.client.call("notifier.retry", EmptyBody(), as: [String: Int].self)
        #expect(requeued["requeued"] == 1)
        try await Self.waitUntil(running.client) { $0["delivered"] == 1 && $0["dead"] == 0 }
        await receiver.stop()
    }

    @Test func goHighLevelSyncUpsertsAssignsAndTagsWithinTheRateLimit() async throws {
        let directory = TemporaryDirectory()
        let ghl = try RecordingReceiver()
        ghl.script("/contacts/upsert", [HTTPResponse.json(200, Array(#"{"new":true,"contact":{"id":"ghl_1"}}"#.utf8))])
        ghl.script("/contacts/ghl_1", [HTTPResponse(status: 200)])
        ghl.script("/contacts/ghl_1/tags", [HTTPResponse(status: 200)])
        let running = try Self.start(directory, crm: ghl, extra: ["--crm-rate-limit", "5", "--crm-rate-interval", "1", "--test-clock", "true"])
        let updates = (1...6).map { sequence in
            OutboxItem(id: "crm\(sequence)", crm: CRMUpdate(
                location: "loc_acme", contact: "+15551230001", contactName: "Ann", assignedTo: "u_\(sequence)",
                tags: ["whatsnap-account-sales"], sequence: sequence))
        }
        _ = try await running.client.call("notifier.enqueue", EnqueueRequest(items: updates), as: EnqueueResponse.self)
        // The clock stands still: the first update's three requests (upsert, PUT, tags) go; the
        // next update's three (read, PUT, tags) would exceed the window's five, so it waits.
        struct Listed: Decodable { var deliveries: [Delivery] }
        struct Delivery: Decodable { var lastError: String? }
        #expect(try await eventually {
            try await running.client.call("notifier.list", ["status": "pending"], as: Listed.self).deliveries.contains { $0.lastError == "rate limited" }
        })
        #expect(ghl.requests.count == 3, "no window holds more than the limit")
        // Each second on the notifier's clock lets the next window's requests go.
        #expect(try await eventually(timeout: 20) {
            _ = try await running.client.call("notifier.advance_clock", ["seconds": 1.0], as: JSONValue.self)
            return try await Self.pending(running.client)["delivered"] == 6
        })
        let requests = ghl.requests
        let upsert = try #require(requests.first)
        #expect(upsert.method == "POST" && upsert.path == "/contacts/upsert")
        #expect(upsert.headers["authorization"] == "Bearer ghl-test-token")
        #expect(upsert.headers["version"] == "2021-07-28")
        let upsertBody = try JSONDecoder().decode([String: String].self, from: Data(upsert.body))
        #expect(upsertBody["locationId"] == "loc_acme" && upsertBody["phone"] == "+15551230001")
        let assigns = requests.filter { $0.method == "PUT" }
        #expect(assigns.count == 6)
        #expect(assigns.map { String(decoding: $0.body, as: UTF8.self) } == (1...6).map { #"{"assignedTo":"u_\#($0)"}"# })
        let tags = requests.filter { $0.path.hasSuffix("/tags") }
        #expect(tags.count == 6 && String(decoding: tags[0].body, as: UTF8.self) == #"{"tags":["whatsnap-account-sales"]}"#)
        #expect(requests.filter { $0.path == "/contacts/upsert" }.count == 1)
        #expect(requests.filter { $0.method == "GET" && $0.path == "/contacts/ghl_1" }.count == 5, "a cached id is read before it is written")
        await ghl.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func sigkillDuringABurstLosesNothingAndReceiversSeeOneDeliveryIdPerItem() async throws {
        let directory = TemporaryDirectory()
        let receiver = try RecordingReceiver()
        receiver.script("/burst", [HTTPResponse(status: 200)])
        let first = try Self.start(directory)
        let channel = [NotifyChannel(channel: .webhook, url: receiver.url("/burst"))]
        for batch in 0..<10 {
            let items = (0..<100).map { Self.notification("burst-\(batch * 100 + $0)", channels: channel) }
            _ = try await first.client.call("notifier.enqueue", EnqueueRequest(items: items), as: EnqueueResponse.self)
        }
        try await receiver.wait { $0.count >= 100 }
        first.process.signal(SIGKILL)
        _ = try first.process.waitForExit()
        first.client.close()
        let second = try Self.start(directory)
        try await Self.waitUntil(second.client, timeout: 60) { $0["delivered"] == 1000 && $0["pending"] == 0 }
        let seen = Set(receiver.requests.compactMap { $0.headers["x-switchboard-delivery-id"] })
        #expect(seen == Set((0..<1000).map { "burst-\($0)/0" }))
        await receiver.stop()
    }
}
