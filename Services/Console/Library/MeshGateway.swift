import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardRuntime

/// The console's way into the mesh: the same line ops `switchboardctl` calls, on the router and
/// the directory. It holds no state of its own.
///
/// A configuration edit is an `apply` of the location's current document with one change: the
/// document is the router's stored configuration with its users and teams as the directory has
/// them now (so an away toggle made since the last apply is kept), the change is made to it,
/// the whole is linted exactly as `switchboardctl lint` does, and applied as `apply` does
/// (directory first, then router). Edits from the console are serialized, and each names the
/// version it started from (`If-Match`): a document changed since (by the CLI or another tab)
/// is refused with 412 instead of being overwritten.
final class MeshGateway: Sendable {
    /// A location's configuration as the console edits it.
    struct Document: Sendable {
        var config: LocationConfig
        /// The router's stored version this document was read at.
        var version: Int
    }

    /// What a save answers.
    struct Saved: Sendable, Encodable {
        var version: Int
        var warnings: [String]
    }

    /// The router instances; each location's calls go to its own (docs/scaling.md).
    let routers: RouterRing
    let directory: LineClient
    private let edits = AsyncLock()

    init(routers: RouterRing, directory: LineClient) {
        self.routers = routers
        self.directory = directory
    }

    func locations() async throws -> [LocationSummary] {
        struct Listed: Decodable { var locations: [LocationSummary] }
        var all: [LocationSummary] = []
        for (_, client) in routers.all { all += try await client.call("router.locations", EmptyBody(), as: Listed.self).locations }
        return all.sorted { $0.id < $1.id }
    }

    /// The client of `location`'s router instance.
    private func router(_ location: String) -> LineClient { routers.client(for: location) }

    func document(_ location: String) async throws -> Document {
        struct Users: Decodable { var users: [DirectoryUser] }
        struct Teams: Decodable { var teams: [Team] }
        let stored = try await router(location).call("router.get_config", ["location": location], as: ConfigResponse.self)
        var config = stored.config
        config.users = try await directory.call("directory.list_users", ["location": location], as: Users.self).users
            .filter { !$0.removed }
            .map { user in
                var member = user
                member.locations = []
                return member
            }
        config.teams = try await directory.call("directory.list_teams", ["location": location], as: Teams.self).teams
        return Document(config: config, version: stored.version)
    }

    /// Reads the location's document, changes it with `change` (on its JSON, so a field the
    /// request misspells reaches lint and is refused by name), lints and applies it.
    /// `expectedVersion`: refuse (412) when the stored version is another.
    func edit(_ location: String, expectedVersion: Int?, _ change: (inout JSONValue) throws -> Void) async throws -> Saved {
        try await edits.withLock {
            let document = try await document(location)
            try Self.check(expectedVersion, current: document.version, location: location)
            var json = try WireJSON.decode(JSONValue.self, from: try WireJSON.encode(document.config))
            try change(&json)
            return try await save(try WireJSON.encode(json), location: location)
        }
    }

    /// Replaces a location's whole configuration with `bytes` (creating the location when new).
    func replace(_ location: String, bytes: [UInt8], expectedVersion: Int?) async throws -> Saved {
        try await edits.withLock {
            if let expectedVersion {
                let current = try? await router(location).call("router.get_config", ["location": location], as: ConfigResponse.self).version
                try Self.check(expectedVersion, current: current, location: location)
            }
            return try await save(bytes, location: location)
        }
    }

    private static func check(_ expected: Int?, current: Int?, location: String) throws {
        guard let expected, expected != current else { return }
        throw ConsoleError(
            status: 412, code: "version_changed",
            message: "the configuration of \(location) changed since it was read (version \(expected), now \(current.map(String.init) ?? "none")); reload and try again")
    }

    /// Lints a document as `switchboardctl lint` does; throws its errors.
    static func lint(_ bytes: [UInt8]) throws -> (LocationConfig, ConfigLinter.Report) {
        let (checked, report) = ConfigLinter.lint(bytes)
        guard let checked, report.errors.isEmpty else { throw ConsoleError.invalid(report) }
        return (checked, report)
    }

    private func save(_ bytes: [UInt8], location: String) async throws -> Saved {
        let (checked, report) = try Self.lint(bytes)
        guard checked.location.id == location else {
            throw ConsoleError.badRequest("the document is for location \(checked.location.id), not \(location)", field: "location.id")
        }
        let version = try await ConfigApplier.apply(checked, raw: try WireJSON.decode(JSONValue.self, from: bytes), directory: directory, router: router(location))
        return Saved(version: version, warnings: report.warnings)
    }

    /// Contacts, most recently assigned first; `matching` (when not empty) keeps those whose
    /// address or name contains it, without case.
    func contacts(_ location: String, owner: String?, openOnly: Bool, matching text: String = "", limit: Int) async throws -> ContactsResponse {
        var body: [String: JSONValue] = ["location": .string(location), "open": .bool(openOnly), "limit": .number(Double(limit))]
        if let owner { body["owner"] = .string(owner) }
        var listed = try await router(location).call("router.contacts", JSONValue.object(body), as: ContactsResponse.self)
        let wanted = text.lowercased()
        if !wanted.isEmpty {
            listed.contacts = listed.contacts.filter { $0.address.lowercased().contains(wanted) || ($0.name?.lowercased().contains(wanted) ?? false) }
        }
        return listed
    }

    func contact(_ location: String, _ contact: String) async throws -> ContactResponse {
        try await router(location).call("router.contact", ["location": location, "contact": contact], as: ContactResponse.self)
    }

    func explanation(_ location: String, _ contact: String) async throws -> ExplainResponse {
        try await router(location).call("router.explain", ["location": location, "contact": contact], as: ExplainResponse.self)
    }

    /// `assign` (with `user`), `release`, `unassign`, `resolve` or `tag` (with `tags`).
    func act(_ action: String, location: String, contact: String, user: String? = nil, tags: [String] = []) async throws -> JSONValue {
        var body: [String: JSONValue] = ["location": .string(location), "contact": .string(contact)]
        if let user { body["user"] = .string(user) }
        if action == "tag" { body["tags"] = .array(tags.map { .string($0) }) }
        return try await router(location).call("router.\(action)", JSONValue.object(body), as: JSONValue.self)
    }

    func loads(_ location: String) async throws -> [String: Int] {
        struct Loads: Decodable { var loads: [String: Int] }
        return try await router(location).call("router.loads", ["location": location], as: Loads.self).loads
    }

    func report(_ location: String, since: Date, until: Date) async throws -> RoutingReport {
        try await router(location).call(
            "router.report", ["location": location, "since": RFC3339.format(since), "until": RFC3339.format(until)], as: RoutingReport.self, timeout: 60)
    }

    func simulate(_ config: LocationConfig, since: Date, until: Date) async throws -> SimulationReport {
        let body = JSONValue.object([
            "config": try WireJSON.decode(JSONValue.self, from: try WireJSON.encode(config)),
            "since": .string(RFC3339.format(since)), "until": .string(RFC3339.format(until)),
        ])
        return try await router(config.location.id).call("router.simulate", body, as: SimulationReport.self, timeout: 120)
    }
}

extension MeshGateway {
    /// `users` as the directory sees them at `instant`: on shift or not, away, local time.
    func candidates(_ location: String, users: [String], at instant: Date) async throws -> [Candidate] {
        guard !users.isEmpty else { return [] }
        let body = JSONValue.object([
            "location": .string(location), "at": .string(RFC3339.format(instant)),
            "target": .object(["pool": .array(users.map { .string($0) }), "mode": .string(Target.Mode.roundRobin.rawValue)]),
        ])
        return try await directory.call("directory.resolve", body, as: ResolveResponse.self).candidates
    }
}
