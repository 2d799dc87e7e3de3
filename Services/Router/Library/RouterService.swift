import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// `switchboard-router`: the assignment engine with its storage and hand-offs (DESIGN.md).
///
/// Events of one location are decided one at a time, inbound messages by its
/// ``LocationPipeline`` (in batches, ahead of their commits), other events with the location to
/// themselves. `router.route` is idempotent on platform + provider message id.
public final class RouterService: Sendable {
    private let store: RouterStore
    private let directory: DirectoryCache
    private let outbox: OutboxForwarder
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let configurations = AppliedConfigurations()
    private let pipelines = Mutex<[String: LocationPipeline]>([:])

    public init(databasePath: String, directory: LineClient, notifier: LineClient, logger: Logger, metrics: MetricsRegistry) async throws {
        store = try RouterStore(path: databasePath)
        self.directory = DirectoryCache(directory: directory)
        outbox = OutboxForwarder(store: store, notifier: notifier, logger: logger)
        self.logger = logger
        self.metrics = metrics
        for (version, config) in try await store.configs() {
            configurations.apply(try CompiledRouting(config), version: version)
        }
    }

    public func start() { outbox.start() }

    public func stop() async {
        await outbox.stop()
        store.close()
    }

    // MARK: Ops

    public func register(on server: LineServer) {
        server.register("router.put_config") { [self] (request: PutConfigRequest, _) in try await putConfig(request.config) }
        server.register("router.get_config") { [self] (request: LocationOnly, _) in
            return ["config": try configuration(request.location).config]
        }
        server.registerDeferred("router.route") { [self] request, _, reply in
            try await route(try request.decodeBody(InboundMessage.self), reply: reply)
        }
        server.register("router.reply") { [self] (reply: ReplyEvent, _) in
            guard let (entry, _) = configurations.entry(platform: reply.platform, address: reply.account) else {
                throw WireError.notFound("no account for \(reply.platform):\(reply.account)")
            }
            return ["recorded": try await store.recordReply(location: entry.config.location.id, contact: reply.contact, at: reply.at)]
        }
        server.register("router.tag") { [self] (request: TagRequest, _) in
            try await withContact(request.location, request.contact, at: request.at, event: "tag") { engine, contact, at in
                let (updated, decision) = try engine.tagged(request.tags, contact: contact, at: at)
                return (updated, decision, decision == nil && updated.tags != contact.tags)
            }
        }
        server.register("router.assign") { [self] (request: AssignRequest, _) in
            try await withContact(request.location, request.contact, at: request.at, event: "assign") { engine, contact, at in
                (contact, try engine.assign(contact, to: request.user, at: at), false)
            }
        }
        server.register("router.release") { [self] (request: ContactRequest, _) in
            try await withContact(request.location, request.contact, at: request.at, event: "release") { _, contact, _ in
                var updated = contact
                updated.manual = false
                return (updated, nil, false)
            }
        }
        server.register("router.unassign") { [self] (request: ContactRequest, _) in
            try await withContact(request.location, request.contact, at: request.at, event: "unassign") { _, contact, _ in
                var updated = contact
                updated.owner = nil
                updated.ownerAccount = nil
                updated.threads = [:]
                updated.manual = false
                return (updated, nil, true)
            }
        }
        server.register("router.resolve") { [self] (request: ContactRequest, _) in
            try await withContact(request.location, request.contact, at: request.at, event: "resolve") { _, contact, _ in
                var updated = contact
                updated.open = false
                return (updated, nil, false)
            }
        }
        server.register("router.drain") { [self] (request: DrainRequest, _) in try await drain(request) }
        server.register("router.contact") { [self] (request: ContactRequest, _) in
            let address = ContactAddress.normalize(request.contact)
            guard let contact = try await store.contact(location: request.location, address: address) else { throw WireError.notFound("no contact \(address)") }
            return ContactResponse(contact: contact, history: try await store.history(location: request.location, contact: address))
        }
        server.register("router.explain") { [self] (request: ContactRequest, _) in
            let address = ContactAddress.normalize(request.contact)
            guard let latest = try await store.history(location: request.location, contact: address).last else {
                throw WireError.notFound("no decision for \(address)")
            }
            return ExplainResponse(decision: latest, sentences: Self.explain(latest))
        }
        server.register("router.contacts") { [self] (request: ContactsRequest, _) in
            ["contacts": try await store.contacts(location: request.location, owner: request.owner, openOnly: request.open ?? false, limit: request.limit ?? 200)]
        }
        server.register("router.report") { [self] (request: ReportRequest, _) in
            let config = try configuration(request.location).config
            let until = request.until ?? Date()
            return try await store.report(config: config, since: request.since ?? until.addingTimeInterval(-7 * 86_400), until: until)
        }
        server.register("router.simulate") { [self] (request: SimulateRequest, _) in
            let until = request.until ?? Date()
            let since = request.since ?? until.addingTimeInterval(-7 * 86_400)
            let events = try await store.inboundEvents(location: request.config.location.id, since: since, until: until)
            return try await Simulation.run(config: request.config, events: events)
        }
        server.register("router.loads") { [self] (request: LocationOnly, _) in
            let separate = configurations.entry(location: request.location)?.config.location.multiTouch == .separate
            return ["loads": try await store.allLoads(location: request.location, threads: separate)]
        }
        server.register("router.pending") { [self] (_: EmptyBody, _) in
            ["outbox": try await store.outboxCount()]
        }
    }

    // MARK: Configuration

    private func putConfig(_ config: LocationConfig) async throws -> [String: Int] {
        let routing: CompiledRouting
        do {
            routing = try CompiledRouting(config)
        } catch {
            throw WireError.badRequest("config: \(error)")
        }
        var seen = Set<String>()
        for (index, account) in config.accounts.enumerated() {
            guard ["whatsapp", "imessage", "twilio"].contains(account.platform) else {
                throw WireError.badRequest("config.accounts[\(index)].platform: unknown platform \"\(account.platform)\"")
            }
            guard seen.insert(account.id).inserted else { throw WireError.badRequest("config.accounts[\(index)].id: duplicate id \(account.id)") }
        }
        let document = String(decoding: try WireJSON.prettyEncoder.encode(config), as: UTF8.self)
        let (version, changed) = try await store.putConfig(config, document: document, now: Date())
        configurations.apply(routing, version: version)
        if changed { logger.info("configuration applied", ["location": config.location.id, "version": version]) }
        return ["version": version, "changed": changed ? 1 : 0]
    }

    /// The configuration `location` runs, or `not_found`.
    private func configuration(_ location: String) throws(WireError) -> AppliedConfigurations.Entry {
        guard let entry = configurations.entry(location: location) else { throw WireError.notFound("no configuration for \(location)") }
        return entry
    }

    private func pipeline(_ location: String) -> LocationPipeline {
        pipelines.withLock { pipelines in
            if let pipeline = pipelines[location] { return pipeline }
            let pipeline = LocationPipeline(
                location: location, store: store, directory: directory, metrics: metrics, committed: { [outbox] rows in outbox.offer(rows) })
            pipelines[location] = pipeline
            return pipeline
        }
    }

    // MARK: Inbound

    /// Queues `message` for its location's pipeline; `reply` gets the answer from the store's
    /// thread once the decision is committed, so it leaves with no hop back to this task.
    private func route(_ message: InboundMessage, reply: @escaping LineServer.Reply) async throws {
        let started = DispatchTime.now()
        var normalized = message
        normalized.contact = ContactAddress.normalize(message.contact)
        normalized.account = ContactAddress.normalize(message.account)
        let message = normalized
        guard let (entry, account) = configurations.entry(platform: message.platform, address: message.account) else {
            throw WireError.notFound("no account for \(message.platform):\(message.account)")
        }
        await pipeline(entry.config.location.id).route(message, routing: entry.routing, account: account) { [metrics] answer in
            metrics.observe("switchboard_decision_seconds", seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            reply(answer)
        }
    }

    /// Runs a contact event with the location to itself and commits what it returns.
    private func withContact(
        _ locationID: String, _ rawAddress: String, at requested: Date?, event: String,
        _ body: @escaping @Sendable (RoutingEngine, ContactState, Date) throws -> (ContactState, Decision?, Bool)
    ) async throws -> RouteAnswer {
        _ = try configuration(locationID)
        let address = ContactAddress.normalize(rawAddress)
        let at = requested ?? Date()
        let answer = try await pipeline(locationID).exclusively { () async throws -> RouteAnswer in
            // Taken once the event has the location to itself: the version applied last.
            let routing = try configuration(locationID).routing
            let config = routing.config
            guard let contact = try await store.contact(location: locationID, address: address) else { throw WireError.notFound("no contact \(address)") }
            let world = SnapshotWorld(
                snapshot: try await store.locationSnapshot(location: locationID), directory: try await directory.expansion(location: locationID))
            let (updated, decision, crmChanged) = try body(RoutingEngine(compiled: routing, world: world), contact, at)
            let final = decision?.contact ?? updated
            let key = "\(event)-\(UUID().uuidString)"
            let account = config.accounts.first { $0.id == final.lastAccount } ?? config.accounts.first
            try await store.commit(RouterStore.Commit(
                location: locationID, event: event, decision: decision, contact: final, platform: nil, messageID: nil, at: at, answer: "",
                notifications: decision.map { Self.notifications(key: key, decision: $0, contact: final, config: config, account: account, at: at) } ?? [],
                crm: Self.crmIf(decision?.crmChanged ?? crmChanged, key: key, contact: final, config: config)))
            if let decision { metrics.increment("switchboard_decisions_total", labels: ["reason": decision.reason]) }
            return RouteAnswer(contact: address, owner: final.owner, reason: decision?.reason ?? event, user: decision?.user)
        }
        outbox.wake()
        return answer
    }

    private func drain(_ request: DrainRequest) async throws -> [String: Int] {
        _ = try configuration(request.location)
        let at = request.at ?? Date()
        let count = try await pipeline(request.location).exclusively { () async throws -> Int in
            let routing = try configuration(request.location).routing
            let config = routing.config
            let owned = try await store.contacts(location: request.location, ownedBy: request.user)
            var snapshot = try await store.locationSnapshot(location: request.location)
            let expansion = try await directory.expansion(location: request.location)
            for (contact, _) in owned {
                // Each contact's decision sees the loads the ones before it left.
                let decision = try RoutingEngine(compiled: routing, world: SnapshotWorld(snapshot: snapshot, directory: expansion)).drain(contact, user: request.user, at: at)
                snapshot.record(decision, replacing: contact, at: at)
                let key = "drain-\(UUID().uuidString)"
                let account = config.accounts.first { $0.id == contact.lastAccount } ?? config.accounts.first
                try await store.commit(RouterStore.Commit(
                    location: request.location, event: "drain", decision: decision, contact: decision.contact, platform: nil, messageID: nil, at: at,
                    answer: "", notifications: Self.notifications(key: key, decision: decision, contact: decision.contact, config: config, account: account, at: at),
                    crm: Self.crmIf(decision.crmChanged, key: key, contact: decision.contact, config: config)))
            }
            return owned.count
        }
        outbox.wake()
        return ["decided": count]
    }

    // MARK: Effects

    static func notifications(key: String, decision: Decision, contact: ContactState, config: LocationConfig, account: Account?, at: Date) -> [OutboxItem] {
        decision.notifications.enumerated().map { index, effect in
            OutboxItem(id: "\(key):\(index)", notification: UserNotification(
                recipient: effect.user, recipientName: effect.name, channels: effect.channels, kind: effect.kind, location: config.location.id,
                contact: contact.address, contactName: contact.name, account: account?.address ?? "", accountName: account?.name,
                platform: account?.platform, at: at, summary: summary(effect, contact: contact, account: account)))
        }
    }

    /// The CRM update for `contact` when `changed`, given the decision history's sequence.
    static func crmIf(_ changed: Bool, key: String, contact: ContactState, config: LocationConfig) -> (@Sendable (Int) -> OutboxItem)? {
        guard changed else { return nil }
        return { sequence in
            OutboxItem(id: "\(key):crm", crm: CRMUpdate(
                location: config.location.id, contact: contact.address, contactName: contact.name, assignedTo: contact.owner, tags: contact.tags, sequence: sequence))
        }
    }

    static func summary(_ effect: NotificationEffect, contact: ContactState, account: Account?) -> String {
        let who = contact.name.map { "\($0) (\(contact.address))" } ?? contact.address
        let via = account?.name ?? "an account"
        switch effect.kind {
        case "assigned": return "\(who) was assigned to \(effect.name ?? effect.user) via \(via)"
        case "message": return "New message from \(who) on \(via)"
        case "coverage": return "Cover for \(who) on \(via)"
        case "queued": return "\(who) is waiting in the queue (\(via))"
        default: return "\(who) on \(via) needs a manual assignment"
        }
    }

    static func explain(_ row: RouterStore.HistoryRow) -> [String] {
        var lines = [row.trace.event + "."]
        lines += row.trace.sentences
        if let user = row.user {
            lines.append("Decision: \(user), because \(row.reason.replacingOccurrences(of: "_", with: " "))\(row.rule.map { " (rule \($0))" } ?? "")\(row.tag.map { " (tag \($0))" } ?? "").")
        } else {
            lines.append("Decision: no one, because \(row.reason.replacingOccurrences(of: "_", with: " ")).")
        }
        return lines
    }
}

struct PutConfigRequest: Decodable, Sendable {
    var config: LocationConfig
    enum CodingKeys: String, CodingKey { case config }
}

struct ReportRequest: Codable, Sendable {
    var location: String
    var since: Date?
    var until: Date?
    enum CodingKeys: String, CodingKey { case location, since, until }
}

struct SimulateRequest: Decodable, Sendable {
    var config: LocationConfig
    var since: Date?
    var until: Date?
    enum CodingKeys: String, CodingKey { case config, since, until }
}

struct ContactsRequest: Codable, Sendable {
    var location: String
    var owner: String?
    var open: Bool?
    var limit: Int?
    enum CodingKeys: String, CodingKey { case location, owner, open, limit }
}

struct ContactResponse: Codable, Sendable {
    var contact: ContactState
    var history: [RouterStore.HistoryRow]
    enum CodingKeys: String, CodingKey { case contact, history }
}

struct ExplainResponse: Codable, Sendable {
    var decision: RouterStore.HistoryRow
    var sentences: [String]
    enum CodingKeys: String, CodingKey { case decision, sentences }
}
