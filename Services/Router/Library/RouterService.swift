import Foundation
import SwitchboardStore
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
public import SwitchboardNet
public import SwitchboardRuntime

/// `switchboard-router`: the assignment engine with its storage and hand-offs (DESIGN.md).
///
/// Events of one location are decided one at a time, inbound messages by its
/// ``LocationPipeline`` (in batches, ahead of their commits), other events with the location to
/// themselves. `router.route` is idempotent on platform + provider message id.
public final class RouterService: Service {
    let store: RouterStore
    let directory: DirectoryCache
    let outbox: OutboxForwarder
    let logger: Logger
    let metrics: MetricsRegistry
    let configurations = AppliedConfigurations()
    let pipelines = Mutex<[String: LocationPipeline]>([:])
    let timing: Timing
    /// Locations on their way to another router instance, or gone there (docs/scaling.md).
    let moves = Mutex<[String: Move]>([:])

    enum Move {
        /// `router.hold`: no new event is decided; the mover is reading the rows.
        case holding
        /// `router.drop`: the rows are on instance `to`; events are answered "moved".
        case moved(to: String)
    }
    let timers: RouterTimers

    /// How the router's timers run (``RouterTimers``).
    public enum Timing: Sendable {
        /// On the wall clock; queued contacts are also offered every `sweepEvery` seconds.
        case live(sweepEvery: Double)
        /// Only when `router.advance_clock` moves time (`--test-clock`, tests only).
        case manual
    }

    public init(
        databasePath: String, directory: LineClient, notifier: LineClient, logger: Logger, metrics: MetricsRegistry, timing: Timing = .live(sweepEvery: 30)
    ) async throws {
        store = try RouterStore(path: databasePath)
        self.directory = DirectoryCache(directory: directory)
        outbox = OutboxForwarder(store: store, notifier: notifier, logger: logger)
        self.logger = logger
        self.metrics = metrics
        self.timing = timing
        timers = RouterTimers(sweepEvery: timing.sweepEvery)
        timers.attach(RouterTimers.Work(
            nextDue: { [store] in try await store.nextDue() },
            fireDue: { [weak self] now in await self?.fireDue(now) ?? (0, false) },
            offerQueued: { [weak self] now in await self?.offerQueued(at: now) ?? 0 }))
        if case .live = timing { self.directory.changed = { [timers] in timers.directoryChanged() } }
        for (version, config) in try await store.configs() {
            configurations.apply(try CompiledRouting(config), version: version)
        }
        for (location, instance) in try await store.movedLocations() { moves.withLock { $0[location] = .moved(to: instance) } }
        metrics.collect { [store] in
            if let pending = try? await store.outboxCount() { metrics.setGauge("switchboard_outbox_pending", to: Double(pending)) }
            if let open = try? await store.openContactCount() { metrics.setGauge("switchboard_open_contacts", to: Double(open)) }
        }
    }

    public func start() {
        outbox.start()
        if case .live = timing { timers.start() }
    }

    public func stop() async {
        await timers.stop()
        await outbox.stop()
        store.close()
    }

    // MARK: Ops

    public func register(on server: LineServer) {
        server.register("router.put_config") { [self] (request: PutConfigRequest, _) in try await putConfig(request.config) }
        server.register("router.get_config") { [self] (request: LocationRequest, _) in
            let entry = try configuration(request.location)
            return ConfigResponse(config: entry.config, version: entry.version)
        }
        server.register("router.locations") { [self] (_: EmptyBody, _) in
            ["locations": configurations.all().filter { routes($0.config.location.id) }.map { entry in
                LocationSummary(id: entry.config.location.id, name: entry.config.location.name, timezone: entry.config.location.timezone,
                                version: entry.version, accounts: entry.config.accounts.count)
            }]
        }
        server.register("router.accounts") { [self] (_: EmptyBody, _) in
            AccountIndex(accounts: configurations.all().filter { routes($0.config.location.id) }.flatMap { entry in
                entry.config.accounts.map { AccountIndex.Entry(platform: $0.platform, address: ContactAddress.normalize($0.address), location: entry.config.location.id) }
            })
        }
        server.registerDeferred("router.route") { [self] request, _, reply in
            try await route(try request.decodeBody(InboundMessage.self), reply: reply)
        }
        server.register("router.reply") { [self] (reply: ReplyEvent, _) in try await self.reply(reply) }
        server.register("router.tag") { [self] (request: TagRequest, _) in
            try await handle(.tagged(request.tags), location: request.location, contact: request.contact, at: request.at)
        }
        server.register("router.assign") { [self] (request: AssignRequest, _) in
            try await handle(.assigned(user: request.user), location: request.location, contact: request.contact, at: request.at)
        }
        server.register("router.release") { [self] (request: ContactRequest, _) in
            try await handle(.released, location: request.location, contact: request.contact, at: request.at)
        }
        server.register("router.unassign") { [self] (request: ContactRequest, _) in
            try await handle(.unassigned, location: request.location, contact: request.contact, at: request.at)
        }
        server.register("router.resolve") { [self] (request: ContactRequest, _) in
            try await handle(.resolved, location: request.location, contact: request.contact, at: request.at)
        }
        server.register("router.crm_event") { [self] (change: CRMEvent, _) in try await crmEvent(change) }
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
            let listed = try await store.contacts(location: request.location, owner: request.owner, openOnly: request.open ?? false, limit: request.limit ?? 200)
            return ContactsResponse(contacts: listed.map(\.0), reasons: Dictionary(listed.compactMap { contact, reason in reason.map { (contact.address, $0) } },
                                                                                  uniquingKeysWith: { first, _ in first }))
        }
        server.register("router.report") { [self] (request: ReportRequest, _) in
            let config = try configuration(request.location).config
            let until = request.until ?? Date()
            return try await store.report(config: config, since: request.since ?? until.addingTimeInterval(-7 * 86_400), until: until)
        }
        server.register("router.simulate") { [self] (request: SimulateRequest, _) in
            let until = request.until ?? Date()
            let since = request.since ?? until.addingTimeInterval(-7 * 86_400)
            let events = try await store.replayEvents(location: request.config.location.id, since: since, until: until)
            return try await Simulation.run(config: request.config, events: events)
        }
        server.register("router.loads") { [self] (request: LocationRequest, _) in
            let separate = configurations.entry(location: request.location)?.config.location.multiTouch == .separate
            return ["loads": try await store.allLoads(location: request.location, threads: separate)]
        }
        server.register("router.pending") { [self] (_: EmptyBody, _) in
            var pending = ["outbox": try await store.outboxCount()]
            // Which directory change the router has heard of: a caller that just changed the
            // directory waits for it before its next op (the notice comes on another connection).
            pending["directoryVersion"] = directory.announcedVersion
            return pending
        }
        registerMoves(on: server)
        if case .manual = timing {
            // `--test-clock` only: tests move time instead of waiting for it.
            server.register("router.advance_clock") { [self] (request: AdvanceClockRequest, _) in
                let (fired, dequeued) = try await timers.advance(to: request.to)
                return ["fired": fired, "dequeued": dequeued]
            }
        }
    }

    // MARK: Configuration

    private func putConfig(_ config: LocationConfig) async throws -> [String: Int] {
        if configurations.entry(location: config.location.id) != nil { try refuseIfMoving(config.location.id) }
        let routing: CompiledRouting
        do {
            routing = try CompiledRouting(config)
        } catch {
            throw WireError.badRequest("config: \(error)")
        }
        var seen = Set<String>()
        for (index, account) in config.accounts.enumerated() {
            guard seen.insert(account.id).inserted else { throw WireError.badRequest("config.accounts[\(index)].id: duplicate id \(account.id)") }
        }
        let document = String(decoding: try WireJSON.prettyEncoder.encode(config), as: UTF8.self)
        let (version, changed) = try await store.putConfig(config, document: document, now: Date())
        configurations.apply(routing, version: version)
        if changed {
            logger.info("configuration applied", ["location": config.location.id, "version": version])
            // A new configuration may give queued contacts someone to go to.
            if case .live = timing { timers.directoryChanged() }
        }
        return ["version": version, "changed": changed ? 1 : 0]
    }

    /// The configuration `location` runs, or `not_found`.
    func configuration(_ location: String) throws(WireError) -> AppliedConfigurations.Entry {
        guard let entry = configurations.entry(location: location) else { throw WireError.notFound("no configuration for \(location)") }
        try refuseIfMoving(location)
        return entry
    }

    func pipeline(_ location: String) -> LocationPipeline {
        pipelines.withLock { pipelines in
            if let pipeline = pipelines[location] { return pipeline }
            let pipeline = LocationPipeline(
                location: location, store: store, directory: directory, metrics: metrics, committed: { [outbox] rows in outbox.offer(rows) },
                scheduled: { [timers] due in timers.scheduled(due) })
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
        try refuseIfMoving(entry.config.location.id)
        await pipeline(entry.config.location.id).route(message, routing: entry.routing, account: account) { [metrics] answer in
            metrics.observe("switchboard_decision_seconds", seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            reply(answer)
        }
    }

    /// Decides a contact event other than a message with the location to itself (after every
    /// queued message's decision) and commits it with its log entry.
    private func handle(_ event: ContactEvent, location: String, contact rawAddress: String, at requested: Date?) async throws -> RouteAnswer {
        let address = ContactAddress.normalize(rawAddress)
        let decision = try await handle(event, location: location, address: address, at: requested ?? Date())
        return RouteAnswer(contact: address, owner: decision.contact.owner, reason: decision.reason, user: decision.user)
    }

    /// Why an event decided nothing: the reason `unless` gave, and the contact's owner.
    struct NotDecided: Error {
        var why: String
        var owner: String?
    }

    /// ``handle(_:location:contact:at:)`` for a normalized address. `unless`, when given, is asked
    /// first inside the location's turn (with the contact, nil when the router has never seen it,
    /// and when the router last decided about it): a reason it gives throws ``NotDecided`` and
    /// commits nothing.
    func handle(
        _ event: ContactEvent, location: String, address: String, at: Date, unless skip: (@Sendable (ContactState?, Date?) -> String?)? = nil
    ) async throws -> Decision {
        // Refused before the wait: `pipeline(_:)` would make a pipeline for any location named.
        _ = try configuration(location)
        let decision = try await pipeline(location).exclusively { () async throws -> Decision in
            // Taken once the event has the location to itself: the version applied last.
            let routing = try configuration(location).routing
            let found = try await store.contact(location: location, address: address)
            if let skip {
                let decidedAt = found == nil ? nil : try await store.latestDecisionAt(location: location, address: address)
                if let why = skip(found, decidedAt) { throw NotDecided(why: why, owner: found?.owner) }
            }
            guard let contact = found else { throw WireError.notFound("no contact \(address)") }
            let world = SnapshotWorld(
                snapshot: try await store.locationSnapshot(location: location), directory: try await directory.expansion(location: location))
            let decision = try RoutingEngine(compiled: routing, world: world).handle(event, contact: contact, at: at)
            try await store.commit(
                [commit(decision, of: event, previous: contact, config: routing.config, at: at)], location: location, logging: LoggedContactEvent(event, contact: address, at: at))
            if event.mayFreeCapacity { _ = try await offerQueuedHoldingLocation(location, at: at) }
            return decision
        }
        committed([decision])
        return decision
    }

    /// A business reply (`router.reply`): the contact's reply deadline is paid (through the
    /// routing core, logged for `simulate`), and the first reply after an assignment fixes its
    /// first-response time. A contact the router has never seen records nothing.
    private func reply(_ reply: ReplyEvent) async throws -> [String: Bool] {
        guard let (entry, _) = configurations.entry(platform: reply.platform, address: ContactAddress.normalize(reply.account)) else {
            throw WireError.notFound("no account for \(reply.platform):\(reply.account)")
        }
        let location = entry.config.location.id
        let address = ContactAddress.normalize(reply.contact)
        do {
            _ = try await handle(.replied, location: location, address: address, at: reply.at) { found, _ in found == nil ? "a contact routing has not seen" : nil }
        } catch is NotDecided {
            return ["recorded": false]
        }
        return ["recorded": try await store.recordReply(location: location, contact: address, at: reply.at)]
    }

    /// A change a person made in GoHighLevel (`CRMEvent`): tags route as tags do; a new owner
    /// is kept like a manual assignment, and an owner removed unassigns, unless it is no change
    /// (the owner Switchboard set, echoed back) or older than the router's latest decision about
    /// the contact (which it would undo); a deleted contact is resolved. A contact the router
    /// has never seen is not routing's: acknowledged, nothing stored. (Known limit: an echo of
    /// Switchboard's own write that reaches the router only after a newer decision looks like a
    /// change made by hand; the owner it names was Switchboard's, and the contact ends up with
    /// that owner marked manual until released.)
    private func crmEvent(_ change: CRMEvent) async throws -> CRMEventAnswer {
        let address = ContactAddress.normalize(change.contact)
        if let source = change.source {
            _ = try configuration(change.location)
            try await store.saveAttribution(location: change.location, address: address, source: source)
        }
        let event: ContactEvent
        switch change.kind {
        case .tagged: event = .tagged(change.tags)
        case .deleted: event = .resolved
        case .assigned: event = change.user.map { .assignedInCRM(user: $0) } ?? .unassigned
        case .attributed: return CRMEventAnswer(applied: change.source != nil, owner: nil, note: "attribution kept for the contact's first message")
        }
        let user = change.user
        let kind = change.kind
        let happened = change.at
        let tags = Set(change.tags)
        do {
            let decision = try await handle(event, location: change.location, address: address, at: change.at) { found, decidedAt in
                guard let contact = found else { return "a contact routing has not seen" }
                switch kind {
                case .assigned:
                    if contact.owner == user { return "no change: \(user ?? "no one") already owns the contact" }
                    if let decidedAt, happened <= decidedAt {
                        return "older than the router's latest decision (\(RFC3339.format(decidedAt))): an echo or an overtaken change"
                    }
                    return nil
                case .deleted:
                    return contact.open ? nil : "already resolved"
                case .tagged:
                    return tags.isSubset(of: Set(contact.tags)) ? "no new tag" : nil
                case .attributed:
                    return "attribution only"
                }
            }
            return CRMEventAnswer(applied: true, owner: decision.contact.owner, note: "\(event.name) decided: \(decision.reason.rawValue)")
        } catch let skipped as NotDecided {
            return CRMEventAnswer(applied: false, owner: skipped.owner, note: skipped.why)
        }
    }

    /// Decides afresh, without the user, every contact the user holds, oldest assignment first,
    /// each seeing the loads the ones before it left; one transaction for them all.
    private func drain(_ request: DrainRequest) async throws -> [String: Int] {
        // Refused before the wait, as for the other events.
        _ = try configuration(request.location)
        let at = request.at ?? Date()
        let event = ContactEvent.drained(user: request.user)
        let decisions = try await pipeline(request.location).exclusively { () async throws -> [Decision] in
            let routing = try configuration(request.location).routing
            let held = try await store.contacts(location: request.location, ownedBy: request.user)
            var snapshot = try await store.locationSnapshot(location: request.location)
            let expansion = try await directory.expansion(location: request.location)
            var commits: [RouterStore.Commit] = []
            for (contact, _) in held {
                let decision = try RoutingEngine(compiled: routing, world: SnapshotWorld(snapshot: snapshot, directory: expansion))
                    .handle(event, contact: contact, at: at)
                snapshot.record(decision, replacing: contact, at: at)
                commits.append(commit(decision, of: event, previous: contact, config: routing.config, at: at))
            }
            try await store.commit(commits, location: request.location, logging: LoggedContactEvent(event, contact: "", at: at))
            _ = try await offerQueuedHoldingLocation(request.location, at: at)
            return commits.map(\.decision)
        }
        committed(decisions)
        return ["decided": decisions.count]
    }

    func commit(_ decision: Decision, of event: ContactEvent, previous: ContactState, config: LocationConfig, at: Date) -> RouterStore.Commit {
        RouterStore.Commit(
            location: config.location.id, event: event.name, decision: decision, previous: previous, at: at,
            effects: DecisionEffects(decision, key: "\(event.name)-\(UUID().uuidString)", config: config, at: at))
    }

    /// What follows the commit of decisions made outside the pipeline (which does the same for
    /// its own): each counted, its reply deadline given to the timers, the outbox woken.
    func committed(_ decisions: [Decision]) {
        for decision in decisions {
            if decision.recorded { metrics.increment("switchboard_decisions_total", labels: ["reason": decision.reason.rawValue]) }
            if let deadline = decision.contact.replyDeadline { timers.scheduled(deadline.due) }
        }
        outbox.wake()
    }

    // MARK: Explaining

    static func explain(_ row: DecisionRecord) -> [String] {
        var lines = [row.trace.event + "."]
        lines += row.trace.sentences
        if let user = row.user {
            lines.append("Decision: \(user), because \(row.reason.rawValue.replacingOccurrences(of: "_", with: " "))\(row.rule.map { " (rule \($0))" } ?? "")\(row.tag.map { " (tag \($0))" } ?? "").")
        } else {
            lines.append("Decision: no one, because \(row.reason.rawValue.replacingOccurrences(of: "_", with: " ")).")
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

extension RouterService {
    /// The store's thread, watched by the heartbeat.
    public var heartbeatProbes: [Heartbeat.Probe] {
        [Heartbeat.Probe(name: "router.store") { [store] done in store.store.probe(done) }]
    }
}
