import Foundation
import SwitchboardCrypto
import Synchronization
import Testing
import SwitchboardAdapters
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardNet
import SwitchboardRuntime
import SwitchboardTestSupport

/// A router stand-in: records what the adapters forward and refuses contacts it is told to.
final class FakeRouter: Sendable {
    let server: LineServer
    private let received = Recorder<InboundMessage>()
    private let replies = Recorder<ReplyEvent>()
    private let changes = Recorder<CRMEvent>()

    init(port: UInt16 = 0, rejecting: Set<String> = []) throws {
        var options = LineServerOptions()
        options.port = port
        server = LineServer(service: "router", options: options, logger: Logger(service: "fake-router", minimumLevel: .error), metrics: MetricsRegistry())
        server.register("router.route") { [received] (message: InboundMessage, _) in
            if rejecting.contains(message.account) { throw WireError.notFound("no account for \(message.platform):\(message.account)") }
            received.append(message)
            return ["reason": "account"]
        }
        server.register("router.reply") { [replies] (reply: ReplyEvent, _) in
            replies.append(reply)
            return ["ok": true]
        }
        server.register("router.crm_event") { [changes] (change: CRMEvent, _) in
            changes.append(change)
            return CRMEventAnswer(applied: true, owner: change.user, note: "recorded")
        }
        _ = try server.listen()
    }

    var messages: [InboundMessage] { received.values }
    var crmEvents: [CRMEvent] { changes.values }
    var replyEvents: [ReplyEvent] { replies.values }

    func waitFor(count: Int, timeout: Double = 30) async throws {
        guard try await eventually(timeout: timeout, { messages.count >= count }) else {
            throw TestFailure("router received \(messages.count) of \(count)")
        }
    }
}

@Suite(.serialized) struct AdaptersServiceTests {
    static let token = "0123456789abcdef0123456789abcdef"
    static let account = "+15125550100"

    struct Running {
        let process: ChildProcess
        let httpPort: UInt16
        let client: LineClient
    }

    static func freePort() async throws -> UInt16 {
        let probe = LineServer(service: "probe", options: LineServerOptions(), logger: Logger(service: "probe", minimumLevel: .error), metrics: MetricsRegistry())
        let port = try probe.listen()
        await probe.stop()
        return port
    }

    static func start(_ directory: TemporaryDirectory, routerPort: UInt16, extra: [String] = [], environment: [String: String] = [:]) async throws -> Running {
        let process = try ChildProcess("switchboard-adapters", [
            "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--database", directory.file("adapters.sqlite"),
            "--router", "127.0.0.1:\(routerPort)", "--public-base-url", "https://hooks.example.com",
        ] + extra, environment: environment)
        let linePort = try process.listeningPort(protocol: "lines")
        let httpPort = try process.listeningPort(protocol: "http")
        let client = LineClient(host: "127.0.0.1", port: linePort)
        let channel = AdapterChannel(id: "ch_sms", platform: .twilio, account: account, twilioAuthToken: token)
        _ = try await client.call("adapters.put_channel", ["channel": channel], as: JSONValue.self)
        return Running(process: process, httpPort: httpPort, client: client)
    }

    /// Posts a correctly signed Twilio SMS webhook; returns the HTTP status.
    static func postSMS(_ port: UInt16, id: String, from: String, to: String = account, text: String, signatureToken: String = token) async throws -> Int {
        let parameters = [("MessageSid", id), ("From", from), ("To", to), ("Body", text), ("NumMedia", "0")].map { (name: $0.0, value: $0.1) }
        let body = FormURLEncoding.encode(parameters)
        let signature = WebhookSigner.twilio(url: "https://hooks.example.com/webhooks/twilio", parameters: parameters, authToken: signatureToken)
        return try await post(port, "/webhooks/twilio", headers: ["X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"], body: Array(body.utf8))
    }

    static func post(_ port: UInt16, _ path: String, headers: [String: String], body: [UInt8]) async throws -> Int {
        let connection = try await RawConnection(port: port)
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try? await connection.send(Array((head + "\r\n").utf8) + body)
        return try await connection.readHTTPResponse()?.status ?? 0
    }

    static func counts(_ client: LineClient) async throws -> [String: Int] {
        try await client.call("adapters.pending", EmptyBody(), as: [String: Int].self)
    }

    @Test func messagesQueueWhileTheRouterIsDownAndArriveInOrderOnceItIsUp() async throws {
        let directory = TemporaryDirectory()
        let routerPort = try await Self.freePort()
        let adapters = try await Self.start(directory, routerPort: routerPort)
        for index in 0..<20 {
            let status = try await Self.postSMS(adapters.httpPort, id: "SM\(index)", from: index % 2 == 0 ? "+15550000001" : "+15550000002", text: "message \(index)")
            #expect(status == 200)
        }
        #expect(try await Self.counts(adapters.client)["pending"] == 20)
        let router = try FakeRouter(port: routerPort)
        try await router.waitFor(count: 20)
        for contact in ["+15550000001", "+15550000002"] {
            let order = router.messages.filter { $0.contact == contact }.map { Int($0.messageId.dropFirst(2))! }
            #expect(order == order.sorted())
        }
        #expect(Set(router.messages.map(\.messageId)).count == 20)
    }

    /// The forwarder holds 8 events in memory here: the rest wait in the file and are read in
    /// order, and events arriving meanwhile switch between the file and intake without a miss
    /// or a double.
    @Test func aBacklogLargerThanMemoryReachesTheRouterOnceEachInOrder() async throws {
        let directory = TemporaryDirectory()
        let routerPort = try await Self.freePort()
        let adapters = try await Self.start(directory, routerPort: routerPort, extra: ["--forward-memory", "8"])
        let contacts = (1...5).map { "+1555000010\($0)" }
        for index in 0..<60 {
            #expect(try await Self.postSMS(adapters.httpPort, id: "SM\(index)", from: contacts[index % 5], text: "message \(index)") == 200)
        }
        #expect(try await Self.counts(adapters.client)["pending"] == 60)
        let router = try FakeRouter(port: routerPort)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 60..<100 {
                group.addTask { try await Self.postSMS(adapters.httpPort, id: "SM\(index)", from: contacts[index % 5], text: "message \(index)") }
            }
            for try await status in group { #expect(status == 200) }
        }
        try await router.waitFor(count: 100)
        #expect(Set(router.messages.map(\.messageId)).count == 100)
        #expect(router.messages.count == 100)
        for contact in contacts {
            let order = router.messages.filter { $0.contact == contact }.map { Int($0.messageId.dropFirst(2))! }
            #expect(order.count == 20)
            #expect(Array(order.prefix(12)) == (0..<60).filter { $0 % 5 == contacts.firstIndex(of: contact)! })
        }
        #expect(try await eventually { try await Self.counts(adapters.client)["pending"] == 0 })
    }

    @Test func aNonRetryableAnswerLeavesTheEventRejectedAndVisible() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter(rejecting: ["+15559999999"])
        let adapters = try await Self.start(directory, routerPort: router.server.port)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMunknown", from: "+15550000003", to: "+15559999999", text: "wrong number") == 200)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMknown", from: "+15550000003", text: "hello") == 200)
        try await router.waitFor(count: 1)
        struct Inbox: Decodable { var events: [Event] }
        struct Event: Decodable { var messageId: String; var status: String; var reason: String? }
        var rejected: [Event] = []
        try await eventually {
            rejected = try await adapters.client.call("adapters.inbox", ["status": "rejected"], as: Inbox.self).events
            return !rejected.isEmpty
        }
        #expect(rejected.map(\.messageId) == ["SMunknown"])
        #expect(rejected.first?.reason?.hasPrefix("not_found: no account for twilio:+15559999999") == true)
    }

    @Test func aProviderRetryOfTheSameMessageIsAcknowledgedAndStoredOnce() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMdup", from: "+15550000004", text: "once") == 200)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMdup", from: "+15550000004", text: "once") == 200)
        try await router.waitFor(count: 1)
        // The router has it; the adapters mark it done once its answer is back (bounded wait).
        #expect(try await eventually { try await Self.counts(adapters.client)["done"] == 1 })
        #expect(router.messages.count == 1)
        #expect(try await Self.counts(adapters.client)["pending"] == 0)
    }

    /// GoHighLevel's webhooks: checked with its key (here a test key given as its public key file)
    /// before anything is read, refused and not stored when unsigned, signed by another key or
    /// changed; stored once per webhook id; forwarded as `router.crm_event` and, for its
    /// InboundMessage, as a message of the location's GoHighLevel account.
    @Test func goHighLevelWebhooksAreCheckedWithItsKeyStoredOncePerWebhookIdAndForwarded() async throws {
        let directory = TemporaryDirectory()
        let key = RSASigningKey()
        try key.publicKeyPEM.write(toFile: directory.file("ghl.pem"), atomically: true, encoding: .utf8)
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port, extra: ["--ghl-webhook-public-key-file", directory.file("ghl.pem")])
        let update = Array(try SharedFiles.data("payloads/ghl-webhook-contactupdate.json"))
        func post(_ body: [UInt8], signature: String?) async throws -> Int {
            try await Self.post(adapters.httpPort, "/webhooks/ghl", headers: ["Content-Type": "application/json"].merging(signature.map { ["x-wh-signature": $0] } ?? [:]) { a, _ in a }, body: body)
        }
        #expect(try await post(update, signature: nil) == 403)
        #expect(try await post(update, signature: RSASigningKey().signBase64(update)) == 403, "signed by another key")
        var tampered = update
        tampered[tampered.count - 3] = UInt8(ascii: " ")
        #expect(try await post(tampered, signature: key.signBase64(update)) == 403, "a byte changed after signing")
        let stored = try await Self.counts(adapters.client)
        #expect(stored["pending", default: 0] + stored["done", default: 0] == 0, "nothing stored: \(stored)")

        #expect(try await post(update, signature: key.signBase64(update)) == 200)
        #expect(try await post(update, signature: key.signBase64(update)) == 200, "GoHighLevel's retry is acknowledged")
        let inbound = Array(try SharedFiles.data("payloads/ghl-webhook-inboundmessage.json"))
        #expect(try await post(inbound, signature: key.signBase64(inbound)) == 200)
        try await router.waitFor(count: 1)
        #expect(try await eventually {
            let done = try await Self.counts(adapters.client)["done"]
            return router.crmEvents.count == 1 && done == 2
        })
        let change = try #require(router.crmEvents.first)
        #expect(change.kind == .assigned && change.user == "y0BeYjuRIlDwsDcOHOJo" && change.contact == "+15125550123")
        #expect(change.id == "3f1d2c5e-8a7b-4e6f-9d0c-1b2a3c4d5e6f" && change.location == "ve9EPM428h8vShlRW1KT" && change.crmContactId == "seD4PfOuKoVMLkEZqohJ")
        #expect(change.at == RFC3339.parse("2026-08-21T15:41:25.000Z"))
        let message = try #require(router.messages.first)
        #expect(message.platform == .ghl && message.account == "ve9EPM428h8vShlRW1KT" && message.contact == "ghl:seD4PfOuKoVMLkEZqohJ")
        #expect(message.text == "Is this still available?" && message.messageId == "tyW42xCD0HQpb3hhfLcx")
        #expect(router.crmEvents.count == 1, "the retry was stored once")
    }

    /// Meta retries for days any POST not answered 200: one whose changes are not messages is
    /// acknowledged and stores nothing, and one mixing them stores only its messages.
    @Test func aWhatsAppPostWithChangesOtherThanMessagesIsAnswered200AndStoresOnlyItsMessages() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let secret = "meta-app-secret"
        let adapters = try await Self.start(directory, routerPort: router.server.port, environment: ["SWITCHBOARD_WHATSAPP_APP_SECRET": secret])
        func postSigned(_ body: [UInt8]) async throws -> Int {
            try await Self.post(adapters.httpPort, "/webhooks/whatsapp", headers: [
                "X-Hub-Signature-256": WebhookSigner.meta(body: body, appSecret: secret), "Content-Type": "application/json",
            ], body: body)
        }
        #expect(try await postSigned(ProviderParsersTests.whatsApp(ProviderParsersTests.templateStatusChange)) == 200)
        #expect(try await Self.counts(adapters.client).values.reduce(0, +) == 0, "a template status update stores nothing")
        #expect(try await postSigned(ProviderParsersTests.whatsApp(ProviderParsersTests.templateStatusChange, ProviderParsersTests.imageWithCaption)) == 200)
        try await router.waitFor(count: 1)
        #expect(router.messages.map(\.text) == ["Is this one in stock?"])
        #expect(try await eventually { try await Self.counts(adapters.client)["done"] == 1 })
    }

    /// One WhatsApp person, two identifiers: once a payload names both the phone and the
    /// business-scoped user id, a message or a status naming only one of them is the same contact
    /// (the key first seen); a user known only by the BSUID keeps it after the phone appears.
    @Test func aWhatsAppUserKnownByPhoneAndByUsernameStaysOneContact() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let secret = "meta-app-secret"
        let adapters = try await Self.start(directory, routerPort: router.server.port, environment: ["SWITCHBOARD_WHATSAPP_APP_SECRET": secret])
        func post(_ value: [String: Any]) async throws -> Int {
            var change = value
            change["messaging_product"] = "whatsapp"
            change["metadata"] = ["display_phone_number": "15125550100", "phone_number_id": "pn1"]
            let body = Array(try JSONSerialization.data(withJSONObject: [
                "object": "whatsapp_business_account", "entry": [["id": "waba", "changes": [["field": "messages", "value": change]]]],
            ]))
            return try await Self.post(adapters.httpPort, "/webhooks/whatsapp", headers: [
                "X-Hub-Signature-256": WebhookSigner.meta(body: body, appSecret: secret), "Content-Type": "application/json",
            ], body: body)
        }
        func message(_ id: String, from phone: String?, userID: String?) -> [String: Any] {
            var message: [String: Any] = ["id": id, "timestamp": "1755800400", "type": "text", "text": ["body": "hi \(id)"]]
            if let phone { message["from"] = phone }
            if let userID { message["from_user_id"] = userID }
            return ["contacts": [["profile": ["name": "Kerry"], "wa_id": phone as Any, "user_id": userID as Any].compactMapValues { $0 is NSNull ? nil : $0 }],
                    "messages": [message]]
        }
        // Known by phone first; then a payload naming both; then the username alone, and a status.
        #expect(try await post(message("wamid.1", from: "15551230001", userID: nil)) == 200)
        #expect(try await post(message("wamid.2", from: "15551230001", userID: "US.111")) == 200)
        #expect(try await post(message("wamid.3", from: nil, userID: "US.111")) == 200)
        #expect(try await post(["statuses": [["id": "wamid.out1", "status": "sent", "timestamp": "1755800500", "recipient_user_id": "US.111"]]]) == 200)
        // Known by username first (the payload sample); then both: the username stays the key.
        let sample = Array(try SharedFiles.data("payloads/whatsapp-inbound-bsuid-no-phone.json"))
        #expect(try await Self.post(adapters.httpPort, "/webhooks/whatsapp", headers: [
            "X-Hub-Signature-256": WebhookSigner.meta(body: sample, appSecret: secret), "Content-Type": "application/json",
        ], body: sample) == 200)
        #expect(try await post(message("wamid.5", from: "15557770002", userID: "US.13491208655302741918")) == 200)
        #expect(try await post(message("wamid.6", from: "15557770002", userID: nil)) == 200)

        try await router.waitFor(count: 6)
        let contacts = Dictionary(router.messages.map { ($0.messageId, $0.contact) }, uniquingKeysWith: { first, _ in first })
        #expect(contacts["wamid.1"] == "+15551230001" && contacts["wamid.2"] == "+15551230001" && contacts["wamid.3"] == "+15551230001")
        let bsuid = "US.13491208655302741918"
        #expect(contacts.values.filter { $0 == bsuid }.count == 3, "the username-first person stays one contact: \(contacts)")
        #expect(try await eventually { router.replyEvents.first?.contact == "+15551230001" }, "a status naming only the username is not dropped")
    }

    /// The intake refuses an event that names no usable party, whatever the provider: a bridge
    /// message from an empty number is answered 400 and nothing is stored.
    @Test func anEventWithoutAUsableContactIsRefusedAtTheIntakeForEveryProvider() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port, environment: ["SWITCHBOARD_BRIDGE_SIGNING_SECRET": "bridge-secret"])
        func bridge(_ number: String) async throws -> Int {
            let body = Array(try JSONSerialization.data(withJSONObject: [
                "content": "hi", "is_outbound": false, "message_handle": "h-\(number.count)", "number": number, "from_number": number,
                "to_number": "+15125550100", "sendblue_number": "+15125550100",
            ]))
            return try await Self.post(adapters.httpPort, "/webhooks/imessage", headers: ["sb-signing-secret": "bridge-secret", "Content-Type": "application/json"], body: body)
        }
        #expect(try await bridge("") == 400)
        #expect(try await bridge("+") == 400)
        #expect(try await Self.counts(adapters.client).values.reduce(0, +) == 0, "nothing stored")
        #expect(try await bridge("+15551230009") == 200, "the same webhook with a number is stored")
        try await router.waitFor(count: 1)
    }

    /// Twilio's JSON bodies are signed through `bodySHA256`: the hash pins the body, the
    /// signature the URL; a changed body is refused and nothing is stored.
    @Test func aTwilioJSONBodySignedWithBodySHA256IsAcceptedAndATamperedOneRefused() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port)
        let body = Array(#"{"MessageSid":"SMjson1","From":"+15550000007","To":"\#(Self.account)","Body":"json hello","NumMedia":0}"#.utf8)
        let target = "/webhooks/twilio?bodySHA256=" + Hex.encode(Digest.sha256(body))
        let signature = WebhookSigner.twilio(url: "https://hooks.example.com" + target, parameters: [], authToken: Self.token)
        let headers = ["X-Twilio-Signature": signature, "Content-Type": "application/json"]
        let tampered = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "json hello", with: "json HELLO").utf8)
        #expect(try await Self.post(adapters.httpPort, target, headers: headers, body: tampered) == 403)
        #expect(try await Self.counts(adapters.client).values.reduce(0, +) == 0)
        #expect(try await Self.post(adapters.httpPort, target, headers: headers, body: body) == 200)
        try await router.waitFor(count: 1)
        #expect(router.messages.map(\.text) == ["json hello"] && router.messages.map(\.messageId) == ["SMjson1"])
    }

    /// Meta documents WhatsApp payloads of up to ~3 MB: the WhatsApp path takes them, the others
    /// keep the 1 MiB limit.
    @Test func theWhatsAppPathTakesThreeMegabyteBodiesAndTheOthersStillRefuseThem() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let secret = "meta-app-secret"
        let adapters = try await Self.start(directory, routerPort: router.server.port, environment: ["SWITCHBOARD_WHATSAPP_APP_SECRET": secret])
        // A batch, as Meta sends them: 600 messages with 4 KB captions, ~2.6 MB in one POST.
        let caption = String(repeating: "x", count: 4096)
        let messages = (0..<600).map { index in
            #"{"from":"1650555\#(String(format: "%04d", index))","id":"wamid.BIG\#(index)","timestamp":"1755800100","type":"image","image":{"caption":"big \#(caption)"}}"#
        }
        let change = #"{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"messages":["# + messages.joined(separator: ",") + "]}}"
        let big = ProviderParsersTests.whatsApp(change)
        #expect(big.count > 2 << 20 && big.count < 3 << 20)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/whatsapp", headers: ["X-Hub-Signature-256": WebhookSigner.meta(body: big, appSecret: secret)], body: big) == 200)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/imessage", headers: ["sb-signing-secret": "x"], body: big) == 413)
        try await router.waitFor(count: 600)
        #expect(router.messages.allSatisfy { $0.text.hasPrefix("big x") })
    }

    /// Rotating a Twilio auth token: the old one still signs until the window set with the new
    /// one closes, then it is refused; neither is ever listed.
    @Test func aRotatedTwilioTokenIsAcceptedUntilItsWindowClosesAndNeverListed() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port)
        var rotated = AdapterChannel(id: "ch_sms", platform: .twilio, account: Self.account, twilioAuthToken: "new-token")
        rotated.previousTwilioAuthToken = Self.token
        rotated.previousTwilioAuthTokenUntil = Date().addingTimeInterval(3600)
        _ = try await adapters.client.call("adapters.put_channel", ["channel": rotated], as: JSONValue.self)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMold", from: "+15550000008", text: "old token", signatureToken: Self.token) == 200)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMnew", from: "+15550000008", text: "new token", signatureToken: "new-token") == 200)
        let listed = try await adapters.client.call("adapters.list_channels", EmptyBody(), as: JSONValue.self)
        #expect(!"\(listed)".contains(Self.token) && !"\(listed)".contains("new-token"))

        rotated.previousTwilioAuthTokenUntil = Date().addingTimeInterval(-1)
        _ = try await adapters.client.call("adapters.put_channel", ["channel": rotated], as: JSONValue.self)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMlate", from: "+15550000008", text: "old token, too late", signatureToken: Self.token) == 403)
        try await router.waitFor(count: 2)
        #expect(Set(router.messages.map(\.messageId)) == ["SMold", "SMnew"])
    }

    @Test func badSignaturesMalformedBodiesAndOversizedBodiesStoreNothing() async throws {
        let directory = TemporaryDirectory()
        let router = try FakeRouter()
        let adapters = try await Self.start(directory, routerPort: router.server.port)
        #expect(try await Self.postSMS(adapters.httpPort, id: "SMforged", from: "+15550000005", text: "forged", signatureToken: "not-the-token") == 403)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/twilio", headers: ["X-Twilio-Signature": "x"], body: [0xFF, 0xFE, 0x3D]) == 400)
        let unsigned = Array(#"{"object":"whatsapp_business_account","entry":[]}"#.utf8)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/whatsapp", headers: ["X-Hub-Signature-256": "sha256=00"], body: unsigned) == 403)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/imessage", headers: ["sb-signing-secret": "guess"], body: Array("{}".utf8)) == 403)
        let huge = [UInt8](repeating: 0x61, count: 5 << 20)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/twilio", headers: ["X-Twilio-Signature": "x"], body: huge) == 413)
        // A signed but malformed Twilio form (no MessageSid) is 400.
        let parameters = [(name: "From", value: "+15550000005"), (name: "To", value: Self.account)]
        let signature = WebhookSigner.twilio(url: "https://hooks.example.com/webhooks/twilio", parameters: parameters, authToken: Self.token)
        #expect(try await Self.post(adapters.httpPort, "/webhooks/twilio", headers: ["X-Twilio-Signature": signature], body: Array(FormURLEncoding.encode(parameters).utf8)) == 400)
        let counts = try await Self.counts(adapters.client)
        #expect(counts.values.reduce(0, +) == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func sigkillAfterFiveHundredAnsweredWebhooksLosesNone() async throws {
        let directory = TemporaryDirectory()
        let routerPort = try await Self.freePort()
        let first = try await Self.start(directory, routerPort: routerPort)
        for index in 0..<500 {
            #expect(try await Self.postSMS(first.httpPort, id: "SMkill\(index)", from: "+1555100\(String(format: "%04d", index))", text: "m\(index)") == 200)
        }
        first.process.signal(SIGKILL)
        _ = try first.process.waitForExit()
        first.client.close()
        let router = try FakeRouter(port: routerPort)
        let second = try await Self.start(directory, routerPort: routerPort)
        try await router.waitFor(count: 500, timeout: 60)
        #expect(Set(router.messages.map(\.messageId)) == Set((0..<500).map { "SMkill\($0)" }))
        second.client.close()
    }
}
