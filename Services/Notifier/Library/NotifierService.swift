import Foundation
import SwitchboardStore
public import SwitchboardCodec
public import SwitchboardDomain
public import SwitchboardNet
public import SwitchboardRuntime

/// `switchboard-notifier`: reliable delivery to team members and to GoHighLevel (DESIGN.md).
public final class NotifierService: Service {
    /// What the notifier needs besides its database.
    public struct Configuration: Sendable {
        public var databasePath: String
        public var webhookSecret: String?
        public var crmBaseURL = "https://services.leadconnectorhq.com"
        /// How a location's GoHighLevel calls are authorized, or nil when it has no CRM sync: a
        /// fixed token, or an OAuth grant whose tokens the notifier refreshes.
        public var crmCredential: @Sendable (String) -> CRMCredential? = { _ in nil }
        /// Seconds a location's credential is used before it is read again (``CRMCredentialCache``).
        public var credentialRefresh: Double = 5
        public var retry = RetryPolicy()
        public var requestTimeout: Double = 10
        public var concurrency = 64
        public var crmRateLimit = 100
        public var crmRateInterval: Double = 10
        /// Seconds between syncs of the directory's users from GoHighLevel; 0: none.
        public var userSyncInterval: Double = 3600
        /// The time of day retries and rate windows are read from; a ``ManualWallClock`` under
        /// `--test-clock`, moved with `notifier.advance_clock`.
        public var clock: any WallClock = SystemWallClock()

        public init(databasePath: String) {
            self.databasePath = databasePath
        }
    }

    private let store: NotifierStore
    private let engine: DeliveryEngine
    private let metrics: MetricsRegistry
    private let clock: any WallClock

    private let ownerReports: CRMOwnerReports
    private let userSync: GoHighLevelUserSync
    let goHighLevel: GoHighLevelAPI
    /// Whether a location has a GoHighLevel credential (read again every `credentialRefresh` seconds).
    private let syncsCRM: @Sendable (String) -> Bool

    /// `routers`: where owners found in GoHighLevel are reported, each to its location's instance (``CRMOwnerReports``);
    /// `directory`: where GoHighLevel's users go (``GoHighLevelUserSync``).
    public init(configuration: Configuration, routers: RouterRing, directory: LineClient, logger: Logger, metrics: MetricsRegistry) throws {
        store = try NotifierStore(path: configuration.databasePath)
        let poster = HTTPPoster(timeout: configuration.requestTimeout)
        let channels = ChannelDeliverer(poster: poster, webhookSecret: configuration.webhookSecret, files: FileAppender(), clock: configuration.clock)
        let credentials = CRMCredentialCache(refresh: configuration.credentialRefresh, read: configuration.crmCredential)
        let credential: @Sendable (String) -> CRMCredential? = { credentials.credential($0) }
        let tokens = GoHighLevelTokens(
            credential: credential, store: store, poster: poster, baseURL: configuration.crmBaseURL,
            clock: configuration.clock)
        let limiter = RateLimiter(capacity: configuration.crmRateLimit, interval: configuration.crmRateInterval)
        syncsCRM = { [tokens] in tokens.isConfigured($0) }
        ownerReports = CRMOwnerReports(store: store, routers: routers, logger: logger)
        goHighLevel = GoHighLevelAPI(poster: poster, baseURL: configuration.crmBaseURL, tokens: tokens, limiter: limiter, clock: configuration.clock)
        userSync = GoHighLevelUserSync(api: goHighLevel, tokens: tokens, directory: directory, interval: configuration.userSyncInterval, logger: logger)
        let crm = CRMSync(
            poster: poster, baseURL: configuration.crmBaseURL, tokens: tokens, limiter: limiter, store: store, reports: ownerReports, clock: configuration.clock)
        engine = DeliveryEngine(
            store: store, channels: channels, crm: crm, policy: configuration.retry, concurrency: configuration.concurrency,
            logger: logger, metrics: metrics, clock: configuration.clock)
        clock = configuration.clock
        self.metrics = metrics
        metrics.collect { [store] in
            for (status, count) in (try? await store.counts()) ?? [:] {
                metrics.setGauge("switchboard_deliveries", labels: ["status": status], to: Double(count))
            }
            if let reports = try? await store.ownerReportCount() { metrics.setGauge("switchboard_crm_owner_reports_pending", to: Double(reports)) }
        }
    }

    /// Starts delivering whatever is pending, including what a previous process left.
    public func start() {
        engine.start()
        ownerReports.start()
        userSync.start()
    }

    public func register(on server: LineServer) {
        // Answered from the store's thread once the items are committed: no hop back to this task.
        server.registerDeferred("notifier.enqueue") { [self] request, _, reply in
            let items = try Self.items(of: request)
            store.enqueue(items, now: clock.now, syncsCRM: syncsCRM) { [self] committed in
                reply(committed.flatMap { enqueued in
                    metrics.increment("switchboard_notifier_items_total", by: enqueued.accepted)
                    if enqueued.accepted > 0 { engine.offer(enqueued.fresh, withOthers: enqueued.crmUpdates > 0) }
                    return .success(EnqueueResponse(accepted: enqueued.accepted, duplicates: items.count - enqueued.accepted).jsonBytes)
                })
            }
        }
        server.register("notifier.list") { [self] (request: ListRequest, _) in
            ListResponse(deliveries: try await store.deliveries(
                status: request.status, user: request.user, contact: request.contact, limit: request.limit ?? 100))
        }
        server.register("notifier.items") { [self] (request: ItemsRequest, _) in
            ItemsResponse(items: try await store.items(after: request.after ?? 0, limit: request.limit ?? 1000))
        }
        server.register("notifier.pending") { [self] (_: EmptyBody, _) in
            try await store.counts()
        }
        if let clock = clock as? ManualWallClock {
            // `--test-clock` only: tests move time instead of waiting for it.
            server.register("notifier.advance_clock") { [engine] (request: AdvanceClock, _) in
                let now = clock.advance(by: request.seconds)
                engine.wake()
                return ["now": RFC3339.format(now)]
            }
        }
        server.register("notifier.ghl_users") { [self] (request: LocationRequest, _) in
            try await goHighLevel.users(location: request.location)
        }
        server.register("notifier.retry") { [self] (request: RetryRequest, _) in
            let count = try await store.retryDead(ids: request.ids, now: clock.now)
            engine.wake()
            return ["requeued": count]
        }
    }

    /// The items of an enqueue request, each with its own JSON as sent: it is stored as is, so
    /// intake decodes each item once and never re-encodes it.
    static func items(of request: RequestHead) throws(WireError) -> [(OutboxItem, String)] {
        guard let bodyRange = request.bodyRange else { throw WireError.badRequest("missing field body.items") }
        let line = request.line
        let found: [Range<Int>]
        do {
            found = try line.withUnsafeBufferPointer { buffer throws(JSONObjectScanner.Malformed) -> [Range<Int>] in
                let body = UnsafeBufferPointer(rebasing: buffer[bodyRange])
                guard let items = try JSONObjectScanner.members(of: body).last(where: { $0.key == "items" })?.value else { return [] }
                return try JSONObjectScanner.elements(ofArray: UnsafeBufferPointer(rebasing: body[items]))
                    .map { ($0.lowerBound + bodyRange.lowerBound + items.lowerBound)..<($0.upperBound + bodyRange.lowerBound + items.lowerBound) }
            }
        } catch {
            throw WireError.badRequest("field body.items must be an array of items")
        }
        var result: [(OutboxItem, String)] = []
        result.reserveCapacity(found.count)
        for (index, range) in found.enumerated() {
            let item = try WireJSON.decode(OutboxItem.self, from: line[range], path: "body.items[\(index)]")
            guard (item.notification == nil) != (item.crm == nil) else {
                throw WireError.badRequest("body.items[\(index)]: an item has exactly one of notification and crm")
            }
            result.append((item, String(decoding: line[range], as: UTF8.self)))
        }
        return result
    }

    public func stop() async {
        await engine.stop()
        await ownerReports.stop()
        await userSync.stop()
        store.close()
    }
}

struct AdvanceClock: Codable, Sendable {
    var seconds: Double
    enum CodingKeys: String, CodingKey { case seconds }
}

public struct EnqueueRequest: Codable, Sendable {
    public var items: [OutboxItem]
    public init(items: [OutboxItem]) { self.items = items }
    enum CodingKeys: String, CodingKey { case items }
}

public struct EnqueueResponse: Codable, Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }

    enum CodingKeys: String, CodingKey { case accepted, duplicates }
}

/// Written by hand: every `notifier.enqueue` answer is encoded on the store's thread.
extension EnqueueResponse: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("accepted", accepted)
        writer.member("duplicates", duplicates)
        writer.endObject()
    }
}

struct ListRequest: Codable, Sendable {
    var status: String?
    var user: String?
    var contact: String?
    var limit: Int?
    enum CodingKeys: String, CodingKey { case status, user, contact, limit }
}

struct ListResponse: Codable, Sendable {
    var deliveries: [NotifierStore.DeliveryRecord]
    enum CodingKeys: String, CodingKey { case deliveries }
}

struct ItemsRequest: Codable, Sendable {
    var after: Int?
    var limit: Int?
    enum CodingKeys: String, CodingKey { case after, limit }
}

struct ItemsResponse: Codable, Sendable {
    var items: [NotifierStore.ItemRecord]
    enum CodingKeys: String, CodingKey { case items }
}

struct RetryRequest: Codable, Sendable {
    var ids: [String]?
    enum CodingKeys: String, CodingKey { case ids }
}

extension NotifierService {
    /// The store's thread, watched by the heartbeat.
    public var heartbeatProbes: [Heartbeat.Probe] {
        [Heartbeat.Probe(name: "notifier.store") { [store] done in store.store.probe(done) }]
    }
}
