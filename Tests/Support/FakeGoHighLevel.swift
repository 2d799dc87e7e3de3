import Foundation
import Synchronization
import SwitchboardCodec
public import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardPOSIX
import SwitchboardRuntime

/// GoHighLevel's API v2 as the tests meet it, on a loopback port: the documented shapes
/// (`payloads/README.md`), not a stub that says yes.
///
/// - `POST /contacts/upsert` finds a contact by location and phone or creates it (`new`), and
///   answers it with its `assignedTo`; `GET`/`PUT /contacts/{id}`, `POST /contacts/{id}/tags`;
///   a deleted contact answers 404. `GET /users/?locationId=`.
/// - Every API call needs `Version` and a bearer token: a fixed (Private Integration) token, or
///   an OAuth access token from `POST /oauth/token`, which rotates the refresh token each time
///   (the old one is refused after) and issues access tokens that ``expireAccessTokens()`` ends.
///   Anything else is 401.
/// - A per-location window (``requestsPerWindow`` in ``window`` seconds) and a daily quota
///   (``dailyQuota``) answer 429 with GoHighLevel's `X-RateLimit-*` headers.
/// - Changes made "by a person" (``reassign(_:to:)``, ``addTags(_:_:)``, ``delete(_:)``) and the
///   API's own writes send GoHighLevel's signed webhooks (`x-wh-signature`, RSA-SHA256 with
///   ``key``) to ``webhookPort`` when set.
public final class FakeGoHighLevel: Sendable {
    public struct Contact: Sendable, Equatable {
        public var id: String
        public var location: String
        public var phone: String?
        public var name: String?
        public var assignedTo: String?
        public var tags: [String]
        public var deleted: Bool
    }

    public struct Call: Sendable, Equatable {
        public var method: String
        public var path: String
        public var status: Int
    }

    private struct State {
        var contacts: [String: Contact] = [:]
        var users: [String: [[String: Any]]] = [:]
        var fixedTokens: Set<String> = []
        var clients: [String: String] = [:]
        var refreshTokens: [String: String] = [:]
        var accessTokens: [String: Bool] = [:]
        var accessLifetime: Double = 86_399
        var calls: [Call] = []
        var windowStarts: [String: [Date]] = [:]
        var requestsPerWindow = 100
        var window: Double = 10
        var dailyQuota: [String: Int] = [:]
        var webhookPort: UInt16?
        var next = 0
    }

    // The dictionaries of `users` hold JSON values only (strings, bools, arrays, objects).
    nonisolated(unsafe) private var unsafeState = State()
    private let lock = NSLock()
    private let server: HTTPServer
    /// Stands in for GoHighLevel's private key; the adapters are given its public half.
    public let key: RSASigningKey

    public init(key: RSASigningKey) throws {
        self.key = key
        server = HTTPServer(options: HTTPServer.Options(), logger: Logger(service: "fake-ghl", minimumLevel: .error), metrics: MetricsRegistry())
        server.mount("/") { [weak self] request in self?.handle(request) ?? .text(503, "gone\n") }
        _ = try server.listen()
    }

    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&unsafeState)
    }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }
    public var calls: [Call] { withState { $0.calls } }

    public func stop() async { await server.stop() }

    // MARK: Set-up

    public func acceptFixedToken(_ token: String) { withState { _ = $0.fixedTokens.insert(token) } }

    /// Registers an OAuth client and its first refresh token; answers that token.
    public func grantOAuth(clientID: String, clientSecret: String) -> String {
        withState { state in
            state.clients[clientID] = clientSecret
            let refresh = "refresh-\(UUID().uuidString)"
            state.refreshTokens[clientID] = refresh
            return refresh
        }
    }

    /// Every access token issued so far stops working (as they do after a day).
    public func expireAccessTokens() { withState { state in for token in state.accessTokens.keys { state.accessTokens[token] = false } } }

    public func limit(requestsPerWindow: Int, window: Double) {
        withState { state in
            state.requestsPerWindow = requestsPerWindow
            state.window = window
        }
    }

    /// Calls left today for `location` (nil: unlimited).
    public func setDailyQuota(_ location: String, remaining: Int?) { withState { $0.dailyQuota[location] = remaining } }

    /// Where webhooks go; nil: GoHighLevel sends none (a change it never announces).
    public func setWebhookPort(_ port: UInt16?) { withState { $0.webhookPort = port } }

    public func setUsers(_ location: String, _ users: [[String: Any]]) { withState { $0.users[location] = users } }

    /// A contact that exists before Switchboard sees it (go-live), owned by `owner`.
    @discardableResult
    public func preexisting(location: String, phone: String, owner: String?) -> String {
        withState { state in
            state.next += 1
            let id = "c\(state.next)"
            state.contacts[id] = Contact(id: id, location: location, phone: phone, name: nil, assignedTo: owner, tags: [], deleted: false)
            return id
        }
    }

    public func contact(phone: String) -> Contact? { withState { state in state.contacts.values.first { $0.phone == phone && !$0.deleted } } }
    public func contact(id: String) -> Contact? { withState { $0.contacts[id] } }

    // MARK: A person in GoHighLevel

    /// A person gives the contact another owner; GoHighLevel sends ContactAssignedUpdate.
    public func reassign(_ id: String, to user: String?) async throws {
        let contact = withState { state -> Contact? in
            state.contacts[id]?.assignedTo = user
            return state.contacts[id]
        }
        guard let contact else { throw TestFailure("no contact \(id)") }
        try await send(webhook("ContactAssignedUpdate", contact))
    }

    public func addTags(_ id: String, _ tags: [String]) async throws {
        let contact = withState { state -> Contact? in
            state.contacts[id]?.tags += tags
            return state.contacts[id]
        }
        guard let contact else { throw TestFailure("no contact \(id)") }
        try await send(webhook("ContactTagUpdate", contact))
    }

    public func delete(_ id: String) async throws {
        let contact = withState { state -> Contact? in
            state.contacts[id]?.deleted = true
            return state.contacts[id]
        }
        guard let contact else { throw TestFailure("no contact \(id)") }
        try await send(webhook("ContactDelete", contact))
    }

    private func webhook(_ type: String, _ contact: Contact) -> [String: Any] {
        var body: [String: Any] = [
            "type": type, "webhookId": UUID().uuidString, "timestamp": RFC3339.format(Date()), "locationId": contact.location, "id": contact.id,
            "tags": contact.tags,
        ]
        if let phone = contact.phone { body["phone"] = phone }
        body["assignedTo"] = contact.assignedTo ?? NSNull()
        return body
    }

    /// Posts a signed webhook to the adapters (when a port is set); answers the status.
    @discardableResult
    public func send(_ fields: [String: Any]) async throws -> Int {
        guard let port = withState({ $0.webhookPort }) else { return 0 }
        let body = Array(try JSONSerialization.data(withJSONObject: fields))
        let signature = key.signBase64(body)
        let connection = try await RawConnection(port: port)
        let head = "POST /webhooks/ghl HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-wh-signature: \(signature)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try await connection.send(Array(head.utf8) + body)
        return try await connection.readHTTPResponse()?.status ?? 0
    }

    // MARK: The API

    private func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response = answer(request)
        withState { $0.calls.append(Call(method: request.method, path: request.path, status: response.status)) }
        return response
    }

    private static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(body))
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/oauth/token" { return token(request) }
        guard request.header("Version") == "2021-07-28" else { return Self.json(400, ["statusCode": 400, "message": "version header is required"]) }
        guard let authorization = request.header("Authorization"), authorization.hasPrefix("Bearer ") else {
            return Self.json(401, ["statusCode": 401, "message": "Invalid JWT"])
        }
        let bearer = String(authorization.dropFirst("Bearer ".count))
        guard withState({ $0.fixedTokens.contains(bearer) || $0.accessTokens[bearer] == true }) else {
            return Self.json(401, ["statusCode": 401, "message": "Invalid JWT"])
        }
        let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        let parts = request.path.split(separator: "/").map(String.init)
        let location: String? = {
            if parts == ["contacts", "upsert"] { return body["locationId"] as? String }
            if parts.first == "users" { return request.query.first { $0.name == "locationId" }?.value }
            if parts.count >= 2, parts[0] == "contacts" { return contact(id: parts[1])?.location }
            return nil
        }()
        if let location, let refusal = throttle(location) { return refusal }

        let id = parts.count >= 2 && parts[0] == "contacts" ? parts[1] : ""
        let route = parts.count == 3 && parts[2] == "tags" ? "tags" : parts.first == "contacts" && parts.count == 2 && id != "upsert" ? "contact" : parts.joined(separator: "/")
        switch (request.method, route) {
        case ("POST", "contacts/upsert"):
            guard let location = body["locationId"] as? String else { return Self.json(422, ["statusCode": 422, "message": ["locationId should not be empty"]]) }
            let phone = body["phone"] as? String
            let (contact, created) = withState { state -> (Contact, Bool) in
                if let phone, let existing = state.contacts.values.first(where: { $0.location == location && $0.phone == phone && !$0.deleted }) {
                    return (existing, false)
                }
                state.next += 1
                let id = "c\(state.next)"
                let made = Contact(id: id, location: location, phone: phone, name: body["name"] as? String, assignedTo: nil, tags: [], deleted: false)
                state.contacts[id] = made
                return (made, true)
            }
            return Self.json(200, ["new": created, "contact": Self.object(contact), "traceId": UUID().uuidString])
        case ("GET", "contact"):
            guard let contact = contact(id: id), !contact.deleted else { return Self.json(404, ["statusCode": 404, "message": "Contact not found"]) }
            return Self.json(200, ["contact": Self.object(contact)])
        case ("PUT", "contact"):
            let updated = withState { state -> Contact? in
                guard state.contacts[id]?.deleted == false else { return nil }
                if body.keys.contains("assignedTo") { state.contacts[id]?.assignedTo = body["assignedTo"] as? String }
                return state.contacts[id]
            }
            guard let updated else { return Self.json(404, ["statusCode": 404, "message": "Contact not found"]) }
            echo("ContactAssignedUpdate", updated)
            return Self.json(200, ["succeded": true, "contact": Self.object(updated)])
        case ("POST", "tags"):
            let tags = body["tags"] as? [String] ?? []
            let updated = withState { state -> Contact? in
                guard state.contacts[id]?.deleted == false else { return nil }
                for tag in tags where state.contacts[id]?.tags.contains(tag) == false { state.contacts[id]?.tags.append(tag) }
                return state.contacts[id]
            }
            guard let updated else { return Self.json(404, ["statusCode": 404, "message": "Contact not found"]) }
            echo("ContactTagUpdate", updated)
            return Self.json(201, ["tags": updated.tags])
        case ("GET", "users"):
            let location = request.query.first { $0.name == "locationId" }?.value ?? ""
            return Self.json(200, ["users": withState { $0.users[location] ?? [] }])
        default:
            return Self.json(404, ["statusCode": 404, "message": "Cannot \(request.method) \(request.path)"])
        }
    }

    /// The API's own writes send their webhooks too (the adapters see Switchboard's echo).
    private func echo(_ type: String, _ contact: Contact) {
        let fields = webhook(type, contact)
        Task { _ = try? await send(fields) }
    }

    private func throttle(_ location: String) -> HTTPResponse? {
        withState { state -> HTTPResponse? in
            let now = Date()
            if let remaining = state.dailyQuota[location] {
                guard remaining > 0 else {
                    return Self.json(429, ["statusCode": 429, "message": "Daily limit reached"], headers: [
                        ("X-RateLimit-Limit-Daily", "200000"), ("X-RateLimit-Daily-Remaining", "0"),
                        ("X-RateLimit-Max", String(state.requestsPerWindow)), ("X-RateLimit-Remaining", "0"),
                    ])
                }
                state.dailyQuota[location] = remaining - 1
            }
            var starts = (state.windowStarts[location] ?? []).filter { now.timeIntervalSince($0) < state.window }
            guard starts.count < state.requestsPerWindow else {
                return Self.json(429, ["statusCode": 429, "message": "Too many requests"], headers: [
                    ("X-RateLimit-Max", String(state.requestsPerWindow)), ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Interval-Milliseconds", String(Int(state.window * 1000))),
                ])
            }
            starts.append(now)
            state.windowStarts[location] = starts
            return nil
        }
    }

    private func token(_ request: HTTPRequest) -> HTTPResponse {
        let form = Dictionary((FormURLEncoding.decode(body: request.body) ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        return withState { state -> HTTPResponse in
            guard form["grant_type"] == "refresh_token", let client = form["client_id"], state.clients[client] == form["client_secret"],
                  let offered = form["refresh_token"], state.refreshTokens[client] == offered
            else { return Self.json(401, ["error": "invalid_grant", "error_description": "Invalid refresh token"]) }
            let access = "access-\(UUID().uuidString)"
            let refresh = "refresh-\(UUID().uuidString)"
            state.refreshTokens[client] = refresh
            state.accessTokens[access] = true
            return Self.json(200, [
                "access_token": access, "token_type": "Bearer", "expires_in": state.accessLifetime, "refresh_token": refresh, "scope": "contacts.write users.readonly",
                "userType": "Location",
            ])
        }
    }

    private static func object(_ contact: Contact) -> [String: Any] {
        var object: [String: Any] = ["id": contact.id, "locationId": contact.location, "tags": contact.tags]
        if let phone = contact.phone { object["phone"] = phone }
        if let name = contact.name { object["name"] = name }
        object["assignedTo"] = contact.assignedTo ?? NSNull()
        return object
    }
}
