import Foundation
import SwitchboardStore
import SwitchboardCodec
public import SwitchboardCrypto
import SwitchboardDomain
public import SwitchboardHTTP
public import SwitchboardNet
public import SwitchboardRuntime

/// `switchboard-adapters`: the mesh's front door (DESIGN.md). Provider webhooks are verified
/// before anything is read, normalized, committed to the inbox, answered, then forwarded to the
/// router until it acknowledges.
public final class AdaptersService: Service {
    public struct Configuration: Sendable {
        public var databasePath: String
        public var defaults = DefaultSecrets()
        /// The public URL prefix providers call (for Twilio signatures behind a proxy).
        public var publicBaseURL: String?
        /// Honour `X-Switchboard-Received-At` as the event time. Tests and scenarios only.
        public var testClock = false
        public var forwardBackoff = Backoff(initial: 0.05, multiplier: 2, maximum: 2)
        /// Inbox events the forwarder holds in memory; more wait in the file (``Forwarder``).
        public var forwardMemoryLimit = 4096
        /// The key GoHighLevel's webhooks must be signed with: its published one unless a
        /// `ghl-webhook-public-key-file` names another.
        public var goHighLevelKey = RSASignature.PublicKey(pem: GoHighLevelKeys.webhookPublicKeyPEM)!

        public init(databasePath: String) {
            self.databasePath = databasePath
        }
    }

    static let twiml = HTTPResponse(
        status: 200, headers: [("Content-Type", "text/xml")], body: Array(#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.utf8))

    let configuration: Configuration
    private let store: AdaptersStore
    private let forwarder: Forwarder
    private let logger: Logger
    private let metrics: MetricsRegistry

    /// `routers`: the router instances, each event sent to its location's (docs/scaling.md).
    public init(configuration: Configuration, routers: RouterRing, logger: Logger, metrics: MetricsRegistry) async throws {
        self.configuration = configuration
        store = try await AdaptersStore(path: configuration.databasePath)
        forwarder = Forwarder(
            store: store, routers: RouterPartitions(ring: routers, logger: logger), logger: logger, metrics: metrics, backoff: configuration.forwardBackoff,
            memoryLimit: max(4, configuration.forwardMemoryLimit))
        self.logger = logger
        self.metrics = metrics
        metrics.collect { [store] in
            for (status, count) in (try? await store.counts()) ?? [:] {
                metrics.setGauge("switchboard_inbox_events", labels: ["status": status], to: Double(count))
            }
        }
    }

    /// Starts forwarding whatever the inbox holds, including what a previous process left.
    public func start() {
        forwarder.start()
    }

    public func stop() async {
        await forwarder.stop()
        store.close()
    }

    // MARK: HTTP

    public func register(on http: HTTPServer) {
        // Checked and parsed at once; answered from the store's thread once committed.
        http.routeDeferred("POST", "/webhooks/twilio") { [self] request, reply in carry(twilio(request, status: false), reply) }
        http.routeDeferred("POST", "/webhooks/twilio/status") { [self] request, reply in carry(twilio(request, status: true), reply) }
        http.route("GET", "/webhooks/whatsapp") { [self] request in whatsAppHandshake(request) }
        http.routeDeferred("POST", "/webhooks/whatsapp") { [self] request, reply in carry(whatsApp(request), reply) }
        http.routeDeferred("POST", "/webhooks/imessage") { [self] request, reply in carry(bridge(request), reply) }
        http.routeDeferred("POST", "/webhooks/ghl") { [self] request, reply in carry(goHighLevel(request), reply) }
        http.addOperationalRoutes()
    }

    private func receivedAt(_ request: HTTPRequest) -> (Date, fromHeader: Bool) {
        if configuration.testClock, let header = request.header("X-Switchboard-Received-At"), let date = RFC3339.parse(header) {
            return (date, true)
        }
        return (Date(), false)
    }

    private func refuse(_ provider: String, _ why: String) -> HTTPResponse {
        metrics.increment("switchboard_webhooks_total", labels: ["provider": provider, "outcome": "forbidden"])
        logger.warning("webhook refused", ["provider": provider, "reason": why])
        return .text(403, "forbidden\n")
    }

    private func malformed(_ provider: String, _ error: any Error) -> HTTPResponse {
        metrics.increment("switchboard_webhooks_total", labels: ["provider": provider, "outcome": "malformed"])
        logger.info("webhook malformed", ["provider": provider, "reason": String(describing: error)])
        return .text(400, "malformed webhook\n")
    }

    /// What a checked webhook needs: an answer now, or its events committed and then the answer.
    private enum Verdict {
        case answer(HTTPResponse)
        /// `identities`: WhatsApp's identifiers of each event's contact, linked as they commit.
        case commit(provider: String, events: [InboxEvent], at: Date, answer: HTTPResponse, identities: [WhatsAppIdentity] = [])
    }

    /// Commits the verdict's events, then answers: the provider hears 200 only once they are on disk.
    private func carry(_ verdict: Verdict, _ reply: @escaping HTTPServer.Reply) {
        switch verdict {
        case .answer(let response):
            reply(response)
        case .commit(let provider, let events, let at, let answer, let identities):
            if let why = events.lazy.compactMap(\.malformation).first { return reply(malformed(provider, MalformedWebhook(why))) }
            store.store(events, identities: identities, receivedAt: at, committed: { [forwarder] rows in forwarder.committed(rows) }) { [self] result in
                switch result {
                case .success(let added):
                    metrics.increment("switchboard_webhooks_total", labels: ["provider": provider, "outcome": "accepted"])
                    metrics.increment("switchboard_inbox_events_total", labels: ["provider": provider], by: added)
                    reply(answer)
                case .failure(let error):
                    logger.error("inbox write failed", ["provider": provider, "error": String(describing: error)])
                    reply(.text(500, "try again\n"))
                }
            }
        }
    }

    private func twilio(_ request: HTTPRequest, status: Bool) -> Verdict {
        guard let signature = request.header("X-Twilio-Signature") else { return .answer(refuse("twilio", "no X-Twilio-Signature")) }
        // A JSON body is signed through the `bodySHA256` query parameter (the URL alone is
        // signed, the parameter pins the body); a form body is signed with its parameters.
        let signedJSON = request.query.contains { $0.name == "bodySHA256" }
        let json = signedJSON ? TwilioParser.jsonParameters(request.body) : nil
        let form = signedJSON ? nil : FormURLEncoding.decode(body: request.body)
        guard signedJSON || form != nil else { return .answer(malformed("twilio", MalformedWebhook("body is not UTF-8"))) }
        // Read before the check only to choose the account's token; nothing is interpreted
        // until the signature holds.
        let parameters = json ?? form ?? []
        let business = TwilioParser.value(parameters, status ? "From" : "To").map(ContactAddress.normalize)
        let channels = store.allChannels.filter { $0.platform == .twilio }
        let preferred = channels.filter { $0.account == business }
        let now = Date()
        var candidates = (preferred.isEmpty ? channels : preferred).flatMap { channel -> [(String?, String?)] in
            var tokens = [(channel.twilioAuthToken ?? configuration.defaults.twilioAuthToken, channel.publicBaseURL)]
            // A rotation window: the token being replaced still signs until its time is up.
            if let previous = channel.previousTwilioAuthToken, let until = channel.previousTwilioAuthTokenUntil, now < until {
                tokens.append((previous, channel.publicBaseURL))
            }
            return tokens
        }
        if preferred.isEmpty { candidates.append((configuration.defaults.twilioAuthToken, nil)) }
        let valid = candidates.contains { token, base in
            guard let token else { return false }
            let prefix = base ?? configuration.publicBaseURL ?? "http://\(request.header("Host") ?? "localhost")"
            let url = (prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix) + request.target
            return signedJSON
                ? WebhookSignatures.twilioJSONValid(signature: signature, url: url, body: request.body, authToken: token)
                : WebhookSignatures.twilioValid(signature: signature, url: url, parameters: parameters, authToken: token)
        }
        guard valid else { return .answer(refuse("twilio", "signature mismatch")) }
        guard !signedJSON || json != nil else { return .answer(malformed("twilio", MalformedWebhook("body is not a JSON object of strings"))) }
        let (at, _) = receivedAt(request)
        do {
            if status {
                guard let reply = try TwilioParser.reply(parameters, at: at) else { return .answer(Self.twiml) }
                return .commit(provider: "twilio", events: [.reply(reply)], at: at, answer: Self.twiml)
            }
            return .commit(provider: "twilio", events: [.inbound(try TwilioParser.inbound(parameters, at: at))], at: at, answer: Self.twiml)
        } catch {
            return .answer(malformed("twilio", error))
        }
    }

    private func whatsAppHandshake(_ request: HTTPRequest) -> HTTPResponse {
        let query = request.query
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard value("hub.mode") == "subscribe", let offered = value("hub.verify_token"), let challenge = value("hub.challenge") else {
            return .text(403, "forbidden\n")
        }
        let tokens = store.allChannels.compactMap(\.verifyToken) + [configuration.defaults.whatsAppVerifyToken].compactMap { $0 }
        guard tokens.contains(where: { ConstantTime.equals($0, offered) }) else { return .text(403, "forbidden\n") }
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array(challenge.utf8))
    }

    private func whatsApp(_ request: HTTPRequest) -> Verdict {
        guard let signature = request.header("X-Hub-Signature-256") else { return .answer(refuse("whatsapp", "no X-Hub-Signature-256")) }
        let channels = store.allChannels.filter { $0.platform == .whatsapp }
        let secrets = Set(channels.compactMap(\.appSecret) + [configuration.defaults.whatsAppAppSecret].compactMap { $0 })
        guard secrets.contains(where: { WebhookSignatures.metaValid(header: signature, body: request.body, appSecret: $0) }) else {
            return .answer(refuse("whatsapp", "signature mismatch"))
        }
        let (at, _) = receivedAt(request)
        do {
            let identified = try WhatsAppParser.identifiedEvents(request.body, receivedAt: at) { metadata in
                if let id = metadata.phoneNumberId, let channel = channels.first(where: { $0.phoneNumberId == id }) { return channel.account }
                return ContactAddress.normalize(metadata.displayPhoneNumber ?? "")
            }
            return .commit(provider: "whatsapp", events: identified.map(\.event), at: at, answer: .text(200, "ok\n"), identities: identified.map(\.identity))
        } catch {
            return .answer(malformed("whatsapp", error))
        }
    }

    private func bridge(_ request: HTTPRequest) -> Verdict {
        guard let offered = request.header("sb-signing-secret") else { return .answer(refuse("bridge", "no sb-signing-secret")) }
        let secrets = store.allChannels.filter { $0.platform == .imessage }.compactMap(\.signingSecret)
            + [configuration.defaults.bridgeSigningSecret].compactMap { $0 }
        guard secrets.contains(where: { ConstantTime.equals($0, offered) }) else { return .answer(refuse("bridge", "signing secret mismatch")) }
        let (at, fromHeader) = receivedAt(request)
        do {
            guard let event = try BridgeParser.event(request.body, receivedAt: at, preferReceivedAt: fromHeader) else {
                return .answer(.text(200, "ok\n"))
            }
            return .commit(provider: "bridge", events: [event], at: at, answer: .text(200, "ok\n"))
        } catch {
            return .answer(malformed("bridge", error))
        }
    }

    /// GoHighLevel's webhooks: RSA-SHA256 over the raw body in `x-wh-signature`, checked with
    /// its public key before anything is read; refused (403) unsigned or mis-signed, nothing
    /// stored. A webhook id already in the inbox is acknowledged and not stored again.
    private func goHighLevel(_ request: HTTPRequest) -> Verdict {
        guard let signature = request.header("x-wh-signature"), let decoded = Data(base64Encoded: signature.trimmingCharacters(in: .whitespaces)) else {
            return .answer(refuse("ghl", "no x-wh-signature"))
        }
        guard configuration.goHighLevelKey.verifies(message: request.body, signature: Array(decoded)) else {
            return .answer(refuse("ghl", "signature mismatch"))
        }
        let (at, _) = receivedAt(request)
        do {
            switch try GoHighLevelParser.meaning(request.body, receivedAt: at) {
            case .crm(let event): return .commit(provider: "ghl", events: [.crm(event)], at: at, answer: .text(200, "ok\n"))
            case .inbound(let message): return .commit(provider: "ghl", events: [.inbound(message)], at: at, answer: .text(200, "ok\n"))
            case .reply(let reply): return .commit(provider: "ghl", events: [.reply(reply)], at: at, answer: .text(200, "ok\n"))
            case .ignored(let why):
                metrics.increment("switchboard_webhooks_total", labels: ["provider": "ghl", "outcome": "ignored"])
                logger.debug("GoHighLevel webhook ignored", ["reason": why])
                return .answer(.text(200, "ok\n"))
            }
        } catch {
            return .answer(malformed("ghl", error))
        }
    }

    // MARK: Line protocol

    public func register(on server: LineServer) {
        server.register("adapters.put_channel") { [self] (request: PutChannelRequest, _) in
            var channel = request.channel
            channel.account = ContactAddress.normalize(channel.account)
            try validate(channel)
            try await store.putChannel(channel)
            return ChannelsResponse(channels: [channel.redacted])
        }
        server.register("adapters.list_channels") { [self] (_: EmptyBody, _) in
            ChannelsResponse(channels: store.allChannels.map(\.redacted))
        }
        server.register("adapters.inbox") { [self] (request: InboxRequest, _) in
            InboxResponse(events: try await store.list(status: request.status, limit: request.limit ?? 100))
        }
        server.register("adapters.pending") { [self] (_: EmptyBody, _) in
            try await store.counts()
        }
    }

    private func validate(_ channel: AdapterChannel) throws(WireError) {
        guard !channel.id.isEmpty else { throw WireError.badRequest("channel.id: must not be empty") }
        guard channel.account.hasPrefix("+") else { throw WireError.badRequest("channel.account: not an E.164 number: \(channel.account)") }
        switch channel.platform {
        case .twilio:
            guard channel.twilioAuthToken != nil || configuration.defaults.twilioAuthToken != nil else {
                throw WireError.badRequest("channel.twilioAuthToken: required (no service-wide twilio-auth-token is set)")
            }
        case .whatsapp:
            guard channel.appSecret != nil || configuration.defaults.whatsAppAppSecret != nil else {
                throw WireError.badRequest("channel.appSecret: required (no service-wide whatsapp-app-secret is set)")
            }
        case .imessage:
            guard channel.signingSecret != nil || configuration.defaults.bridgeSigningSecret != nil else {
                throw WireError.badRequest("channel.signingSecret: required (no service-wide bridge-signing-secret is set)")
            }
        case .ghl:
            throw WireError.badRequest("channel.platform: GoHighLevel needs no channel (its webhooks are signed with its published key)")
        }
    }
}

struct PutChannelRequest: Codable, Sendable {
    var channel: AdapterChannel
    enum CodingKeys: String, CodingKey { case channel }
}

struct ChannelsResponse: Codable, Sendable {
    var channels: [AdapterChannel]
    enum CodingKeys: String, CodingKey { case channels }
}

struct InboxRequest: Codable, Sendable {
    var status: InboxStatus?
    var limit: Int?
    enum CodingKeys: String, CodingKey { case status, limit }
}

struct InboxResponse: Codable, Sendable {
    var events: [AdaptersStore.Listed]
    enum CodingKeys: String, CodingKey { case events }
}

extension AdaptersService {
    /// The store's thread, watched by the heartbeat.
    public var heartbeatProbes: [Heartbeat.Probe] {
        [Heartbeat.Probe(name: "adapters.store") { [store] done in store.store.probe(done) }]
    }
}
