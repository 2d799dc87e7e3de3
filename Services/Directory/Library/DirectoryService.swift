import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
public import SwitchboardNet
public import SwitchboardRuntime

/// `switchboard-directory`: the source of truth on who can be assigned when (DESIGN.md).
///
/// Registers the `directory.*` ops on a ``LineServer``. Writes are validated, committed, then
/// announced to `directory.watch` subscribers as `directory.changed {version}`.
public final class DirectoryService: Service {
    private let store: DirectoryStore
    private let watchers = Mutex<[EventSink]>([])
    private let metrics: MetricsRegistry
    private let logger: Logger

    /// Opens (or creates) the directory database at `path`.
    public init(databasePath: String, logger: Logger, metrics: MetricsRegistry) async throws {
        store = try await DirectoryStore(path: databasePath)
        self.logger = logger
        self.metrics = metrics
        metrics.collect { [store] in metrics.setGauge("switchboard_directory_version", to: Double(store.state.version)) }
    }

    /// The version of the published state.
    public var version: Int { store.state.version }

    /// Registers every `directory.*` op on `server`.
    public func register(on server: LineServer) {
        server.register("directory.put_users") { [self] (request: PutUsersRequest, _) in
            try await write("put_users") { state throws(WireError) in try state.putUsers(request) }
        }
        server.register("directory.put_teams") { [self] (request: PutTeamsRequest, _) in
            try await write("put_teams") { state throws(WireError) in try state.putTeams(request) }
        }
        server.register("directory.update_user") { [self] (request: UpdateUserRequest, _) in
            _ = try await write("update_user") { state throws(WireError) in try state.updateUser(request) }
            return UserResponse(user: try store.state.user(request.id), version: store.state.version)
        }
        server.register("directory.remove_user") { [self] (request: UserIDRequest, _) in
            _ = try await write("remove_user") { state throws(WireError) in try state.removeUser(request.id) }
            return UserResponse(user: try store.state.user(request.id), version: store.state.version)
        }
        server.register("directory.import_ghl_users") { [self] (request: ImportGHLRequest, _) in
            try await write("import_ghl_users") { state throws(WireError) in try state.importGHL(request) }
        }
        server.register("directory.locations") { [self] (_: EmptyBody, _) in
            ["locations": store.state.locations]
        }
        server.register("directory.get_user") { [self] (request: UserIDRequest, _) in
            let state = store.state
            return UserResponse(user: try state.user(request.id), version: state.version)
        }
        server.register("directory.list_users") { [self] (request: LocationRequest, _) in
            let state = store.state
            return UsersResponse(users: state.users(in: request.location), version: state.version)
        }
        server.register("directory.list_teams") { [self] (request: LocationRequest, _) in
            let state = store.state
            return TeamsResponse(teams: state.teams(in: request.location), version: state.version)
        }
        // Expanding a large team is the directory's one long computation: on the pool, so one
        // pipelined connection's requests use both cores while the loop keeps reading.
        server.registerRaw("directory.resolve", execution: .onPool) { [self] request, _ in
            let body = try request.decodeBody(ResolveRequest.self)
            return try store.state.resolve(location: body.location, target: body.target, at: body.at ?? Date()).encodedJSON()
        }
        server.register("directory.snapshot") { [self] (request: LocationRequest, _) in
            try store.state.snapshot(location: request.location)
        }
        server.register("directory.version") { [self] (_: EmptyBody, _) in
            VersionResponse(version: store.state.version)
        }
        server.register("directory.watch") { [self] (_: EmptyBody, context) in
            watchers.withLock { $0.append(context.events) }
            return VersionResponse(version: store.state.version)
        }
    }

    /// Closes the database.
    /// Nothing to begin: the store is open once `init` returns.
    public func start() async throws {}

    public func stop() async {
        close()
    }

    public func close() {
        store.close()
    }

    private func write(
        _ op: String, _ mutation: @escaping @Sendable (inout DirectoryState) throws(WireError) -> [DirectoryState.Change]
    ) async throws -> WriteResult {
        try await store.mutate(mutation) { version in
            metrics.increment("switchboard_directory_changes_total", labels: ["op": op])
            logger.info("directory changed", ["op": op, "version": version])
            announce(version)
        }
    }

    private func announce(_ version: Int) {
        let sinks = watchers.withLock { sinks -> [EventSink] in
            sinks.removeAll { $0.isClosed }
            return sinks
        }
        for sink in sinks { sink.push("directory.changed", VersionResponse(version: version)) }
    }
}

extension DirectoryService {
    /// The store's thread, watched by the heartbeat.
    public var heartbeatProbes: [Heartbeat.Probe] {
        [Heartbeat.Probe(name: "directory.store") { [store] done in store.probe(done) }]
    }
}
