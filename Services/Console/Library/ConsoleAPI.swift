import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardRuntime
import SwitchboardOperations

/// The JSON API (`docs/console-api.yaml`): locations and their configuration by section,
/// contacts and their decisions, reports, simulate and lint. Reads need a session; writes need
/// the session's CSRF token too. Configuration writes answer the new version and lint's
/// warnings, and honour `If-Match` with the version a read's `ETag` gave.
extension ConsoleServer {
    func api(_ request: HTTPRequest, _ path: [String]) async throws -> HTTPResponse {
        if path == ["session"] { return try await sessionResource(request) }
        let (_, session) = try await requireSession(request)
        if request.method != "GET" && request.method != "HEAD" {
            try requireCSRF(request, presented: request.header("X-CSRF-Token"), session: session)
        }
        var routes = RouteTable()
        routes.add("GET", "locations") { [self] _ in try Self.json(["locations": try await gateway.locations()]) }
        addConfigurationRoutes(to: &routes, request)
        addContactRoutes(to: &routes, request)
        return try await routes.dispatch(request.method, path)
    }

    // MARK: Session

    private func sessionResource(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch request.method {
        case "POST":
            guard AdminAuthentication.sameOrigin(request) else { throw ConsoleError.csrfRefused }
            guard let password = try Self.object(request, allowed: ["password"])["password"]?.stringValue else {
                throw ConsoleError.badRequest("missing field password", field: "password")
            }
            switch try await authentication.login(password: password) {
            case .signedIn(let token, let csrf):
                logger.info("admin signed in", [:])
                var response = try Self.json(["csrf": csrf])
                response.headers.append(("Set-Cookie", authentication.setCookie(token)))
                return response
            case .refused:
                logger.warning("admin sign-in refused", [:])
                throw ConsoleError(status: 401, code: "wrong_password", message: "wrong password")
            case .limited(let retryAfter):
                logger.warning("admin sign-in rate limited", ["retryAfter": retryAfter])
                throw ConsoleError(status: 429, code: "too_many_attempts", message: "too many failed sign-ins; try again in \(retryAfter) s", retryAfter: retryAfter)
            }
        case "GET":
            let (_, session) = try await requireSession(request)
            return try Self.json(["csrf": session.csrf, "expiresAt": RFC3339.format(session.expiresAt)])
        case "DELETE":
            let (token, session) = try await requireSession(request)
            try requireCSRF(request, presented: request.header("X-CSRF-Token"), session: session)
            try await authentication.logout(token: token)
            var response = HTTPResponse(status: 204)
            response.headers.append(("Set-Cookie", authentication.clearCookie()))
            return response
        default:
            throw ConsoleError(status: 405, code: "method_not_allowed", message: "use POST to sign in, GET to read the session, DELETE to sign out")
        }
    }

    // MARK: Configuration

    private func addConfigurationRoutes(to routes: inout RouteTable, _ request: HTTPRequest) {
        routes.add("GET", "locations/*") { [self] captured in
            let document = try await gateway.document(captured[0])
            return try Self.json(ConfigResponse(config: document.config, version: document.version), etag: document.version)
        }
        routes.add("PUT", "locations/*") { [self] captured in
            try Self.requireContentType(request, "application/json")
            return try Self.json(try await gateway.replace(captured[0], bytes: request.body, expectedVersion: try Self.expectedVersion(request)))
        }
        routes.add("POST", "locations/*/lint") { _ in
            try Self.requireContentType(request, "application/json")
            return try Self.json(LintAnswer(ConfigLinter.lint(request.body).1))
        }
        routes.add("POST", "locations/*/simulate") { [self] captured in
            let body = try Self.object(request, allowed: ["config", "since", "until"])
            guard let config = body["config"] else { throw ConsoleError.badRequest("missing field config", field: "config") }
            let (checked, _) = try MeshGateway.lint(try WireJSON.encode(config))
            guard checked.location.id == captured[0] else {
                throw ConsoleError.badRequest("the document is for location \(checked.location.id)", field: "config.location.id")
            }
            let until = try body["until"].map { try Self.date($0, field: "until") } ?? clock.now
            let since = try body["since"].map { try Self.date($0, field: "since") } ?? until.addingTimeInterval(-7 * 86_400)
            return try Self.json(try await gateway.simulate(checked, since: since, until: until))
        }
        for section in Self.sections {
            routes.add("GET", "locations/*/\(section)") { [self] captured in
                let document = try await gateway.document(captured[0])
                let json = try WireJSON.decode(JSONValue.self, from: try WireJSON.encode(document.config))
                return try Self.json(JSONValue.object([section: json[section] ?? .array([]), "version": .number(Double(document.version))]), etag: document.version)
            }
            routes.add("PUT", "locations/*/\(section)") { [self] captured in
                try Self.requireContentType(request, "application/json")
                let value = try Self.decode(JSONValue.self, request)
                guard section == "location" ? value.objectValue != nil : value.arrayValue != nil else {
                    throw ConsoleError.badRequest("\(section) is a JSON \(section == "location" ? "object" : "array")", field: section)
                }
                return try Self.json(try await gateway.edit(captured[0], expectedVersion: try Self.expectedVersion(request)) { $0 = $0.setting(section, to: value) })
            }
        }
        routes.add("GET", "locations/*/accounts/*") { [self] captured in
            let document = try await gateway.document(captured[0])
            guard let found = document.config.accounts.first(where: { $0.id == captured[1] }) else {
                throw ConsoleError.notFound("no account \(captured[1]) in \(captured[0])")
            }
            return try Self.json(found, etag: document.version)
        }
        routes.add("PUT", "locations/*/accounts/*/assignment") { [self] captured in
            try Self.requireContentType(request, "application/json")
            let assignment = try Self.decode(JSONValue.self, request)
            return try Self.json(try await gateway.edit(captured[0], expectedVersion: try Self.expectedVersion(request)) { json in
                json = try json.settingAssignment(of: captured[1], to: assignment, location: captured[0])
            })
        }
        routes.add("PATCH", "locations/*/users/*") { [self] captured in
            let fields = try Self.object(request, allowed: Self.userFields).objectValue ?? [:]
            return try Self.json(try await gateway.edit(captured[0], expectedVersion: try Self.expectedVersion(request)) { json in
                json = try json.changingUser(captured[1], fields, location: captured[0])
            })
        }
        routes.add("GET", "locations/*/loads") { [self] captured in try Self.json(["loads": try await gateway.loads(captured[0])]) }
        routes.add("GET", "locations/*/report") { [self] captured in
            let (since, until) = try reportWindow(request)
            return try Self.json(try await gateway.report(captured[0], since: since, until: until))
        }
    }

    /// The configuration sections that can be read and replaced whole.
    static let sections: Set<String> = ["users", "teams", "accounts", "rules", "tags", "location"]
    /// What `PATCH …/users/ID` may change (the configuration's user fields but the id).
    static let userFields: Set<String> = ["name", "email", "phone", "active", "assignable", "away", "timezone", "schedule", "maxOpen", "skills", "notify"]

    /// `If-Match: "7"` (or `7`): the version a write expects to replace.
    static func expectedVersion(_ request: HTTPRequest) throws -> Int? {
        guard let header = request.header("If-Match") else { return nil }
        let trimmed = header.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))
        guard let version = Int(trimmed) else { throw ConsoleError.badRequest("If-Match takes the version an ETag gave, e.g. \"7\"", field: "If-Match") }
        return version
    }

    // MARK: Contacts

    private func addContactRoutes(to routes: inout RouteTable, _ request: HTTPRequest) {
        routes.add("GET", "locations/*/contacts") { [self] captured in
            let query = request.queryFields
            let limit = min(max(Int(query["limit"] ?? "") ?? 200, 1), 1000)
            return try Self.json(try await gateway.contacts(
                captured[0], owner: query["owner"].flatMap { $0.isEmpty ? nil : $0 }, openOnly: query["open"] == "true", matching: query["q"] ?? "", limit: limit))
        }
        routes.add("GET", "locations/*/contacts/*") { [self] captured in try Self.json(try await gateway.contact(captured[0], captured[1])) }
        routes.add("GET", "locations/*/contacts/*/explanation") { [self] captured in
            try Self.json(try await gateway.explanation(captured[0], captured[1]))
        }
        for action in ["release", "unassign", "resolve"] {
            routes.add("POST", "locations/*/contacts/*/\(action)") { [self] captured in
                try Self.json(try await gateway.act(action, location: captured[0], contact: captured[1]))
            }
        }
        routes.add("POST", "locations/*/contacts/*/assign") { [self] captured in
            let body = try Self.object(request, allowed: ["user"])
            guard let user = body["user"]?.stringValue, !user.isEmpty else { throw ConsoleError.badRequest("missing field user", field: "user") }
            return try Self.json(try await gateway.act("assign", location: captured[0], contact: captured[1], user: user))
        }
        routes.add("POST", "locations/*/contacts/*/tags") { [self] captured in
            let body = try Self.object(request, allowed: ["tags"])
            guard let tags = body["tags"]?.arrayValue?.compactMap(\.stringValue), !tags.isEmpty, tags.count == body["tags"]?.arrayValue?.count else {
                throw ConsoleError.badRequest("tags is a non-empty array of strings", field: "tags")
            }
            return try Self.json(try await gateway.act("tag", location: captured[0], contact: captured[1], tags: tags))
        }
    }

    /// A JSON object body with only `allowed` members.
    static func object(_ request: HTTPRequest, allowed: Set<String>) throws -> JSONValue {
        try requireContentType(request, "application/json")
        let body = try decode(JSONValue.self, request)
        guard let members = body.objectValue else { throw ConsoleError.badRequest("send a JSON object") }
        for key in members.keys.sorted() where !allowed.contains(key) {
            throw ConsoleError.badRequest("unknown field \"\(key)\" (\(allowed.sorted().joined(separator: ", ")))", field: key)
        }
        return body
    }

    // MARK: Helpers

    /// `since`/`until` from the query: RFC 3339 instants or `YYYY-MM-DD` days (UTC); the last
    /// seven days by default.
    func reportWindow(_ request: HTTPRequest) throws -> (Date, Date) {
        let query = request.queryFields
        var until = try query["until"].flatMap { $0.isEmpty ? nil : $0 }.map { try Self.date(.string($0), field: "until", endOfDay: true) } ?? clock.now
        let since = try query["since"].flatMap { $0.isEmpty ? nil : $0 }.map { try Self.date(.string($0), field: "since") } ?? until.addingTimeInterval(-7 * 86_400)
        if until > clock.now { until = clock.now }
        guard since < until else { throw ConsoleError.badRequest("since must be before until", field: "since") }
        return (since, until)
    }

    static func date(_ value: JSONValue, field: String, endOfDay: Bool = false) throws -> Date {
        guard let text = value.stringValue else { throw ConsoleError.badRequest("\(field) is a date", field: field) }
        if let instant = RFC3339.parse(text) { return instant }
        if let day = RFC3339.parse(text + "T00:00:00Z") { return endOfDay ? day.addingTimeInterval(86_400) : day }
        throw ConsoleError.badRequest("\(field) must be an RFC 3339 time or a YYYY-MM-DD day (got \"\(text)\")", field: field)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) throws -> T {
        do {
            return try WireJSON.decode(type, from: request.body)
        } catch {
            throw ConsoleError.undecodable(error)
        }
    }

    static func json(_ value: some Encodable, status: Int = 200, etag: Int? = nil) throws -> HTTPResponse {
        var response = HTTPResponse.json(status, try WireJSON.encode(value))
        if let etag { response.headers.append(("ETag", "\"\(etag)\"")) }
        return response
    }
}

/// `POST …/lint`: lint's verdict on a document, each error with its field.
struct LintAnswer: Encodable {
    var valid: Bool
    var errors: [ConsoleError.Problem]
    var warnings: [String]

    init(_ report: ConfigLinter.Report) {
        valid = report.errors.isEmpty
        errors = report.errors.map(ConsoleError.Problem.init(lintMessage:))
        warnings = report.warnings
    }
}

extension HTTPRequest {
    /// The query's parameters by name (the first of a repeated one).
    var queryFields: [String: String] {
        Dictionary(query.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}
