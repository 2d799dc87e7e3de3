import Foundation
import Synchronization
public import SwitchboardRuntime

/// The router instances a service talks to, found by location through a ``PartitionMap``: the
/// adapters, the notifier, the console and `switchboardctl` all reach "the router of location
/// L" this way. One client per instance, kept for the ring's life.
///
/// With a partition file, the file is read again when it changes (looked at no more than once
/// a second), so `switchboardctl partition move` switching a location reaches every service
/// without a restart. Without one, a single router is every location's.
public final class RouterRing: Sendable {
    private struct State {
        var map: PartitionMap
        var clients: [String: LineClient] = [:]
        var fileStamp: Date?
        var lookedAt = Date.distantPast
    }

    private let state: Mutex<State>
    private let path: String?
    /// The one router's client when there is no partition file (every call takes it, unlooked-up).
    private let only: LineClient?
    /// Options for every client; host and port come from the map.
    private let template: LineClientOptions

    /// The instances of the partition file at `path`; clients copy `template`'s token, name and
    /// timeouts.
    public init(partitionFile path: String, template: LineClientOptions) throws {
        self.path = path
        self.template = template
        let map = try PartitionMap.load(path: path)
        state = Mutex(State(map: map, fileStamp: Self.stamp(path)))
        only = nil
    }

    /// One router for every location.
    public init(single options: LineClientOptions) {
        path = nil
        template = options
        let client = LineClient(options: options)
        only = client
        state = Mutex(State(map: PartitionMap(routers: ["router": "\(options.host):\(options.port)"]), clients: ["router": client]))
    }

    /// The client for `location`'s router.
    public func client(for location: String) -> LineClient {
        only ?? client(named: map.owner(of: location))
    }

    /// The client for the instance `name` (the map's first when unknown).
    public func client(named name: String) -> LineClient {
        if let only { return only }
        return state.withLock { state in
            let known = state.map.routers[name] != nil ? name : state.map.names[0]
            if let client = state.clients[known] { return client }
            var options = template
            if let address = PartitionMap.hostPort(state.map.routers[known] ?? "") {
                options.host = address.host
                options.port = address.port
            }
            let client = LineClient(options: options)
            state.clients[known] = client
            return client
        }
    }

    /// Every instance's client, in name order (for what all of them answer: pending counts,
    /// locations, account indexes).
    public var all: [(name: String, client: LineClient)] {
        map.names.map { ($0, client(named: $0)) }
    }

    /// Whether there is one router instance (then there is nothing to look up).
    public var isSingle: Bool { only != nil || map.routers.count == 1 }

    /// The first instance's client (where an event with no partition key goes).
    public var first: LineClient { only ?? client(named: map.names[0]) }

    /// The map now, read again from the file if it changed (at most one look a second). A file
    /// that became unreadable or invalid keeps the last good map.
    public var map: PartitionMap {
        guard let path else { return state.withLock { $0.map } }
        let now = Date()
        let look = state.withLock { state -> Date?? in
            guard now.timeIntervalSince(state.lookedAt) >= 1 else { return nil }
            state.lookedAt = now
            return .some(state.fileStamp)
        }
        if let known = look, let stamp = Self.stamp(path), stamp != known, let fresh = try? PartitionMap.load(path: path) {
            state.withLock { state in
                state.map = fresh
                state.fileStamp = stamp
            }
        }
        return state.withLock { $0.map }
    }

    /// Reads the file now, whatever its stamp (after `switchboardctl` wrote it in this process).
    public func reload() throws {
        guard let path else { return }
        let fresh = try PartitionMap.load(path: path)
        state.withLock { state in
            state.map = fresh
            state.fileStamp = Self.stamp(path)
            state.lookedAt = Date()
        }
    }

    private static func stamp(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    public func close() {
        for client in state.withLock({ Array($0.clients.values) }) { client.close() }
    }
}

extension RouterRing: Service {
    public func start() async throws {}
    public func stop() async { close() }
}

extension RouterRing {
    /// The ring a service's settings describe: the `partitions` file when set, else the single
    /// router at `router`.
    public convenience init(settings: Settings, secrets: Secrets, tokenName: String, clientName: String) throws {
        if let path = settings.string("partitions"), !path.isEmpty {
            var template = LineClientOptions(host: "127.0.0.1", port: 1)
            template.token = try secrets.value(tokenName)
            template.clientName = clientName
            try self.init(partitionFile: path, template: template)
        } else {
            self.init(single: try LineClientOptions(settings: settings, key: "router", secrets: secrets, tokenName: tokenName, clientName: clientName))
        }
    }

    /// The `partitions` setting every service that talks to routers takes.
    public static let settingKey = Settings.Key(
        "partitions", default: "", help: "partition file naming the router instances and which locations each owns (docs/scaling.md); overrides router")
}
