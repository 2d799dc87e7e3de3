import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardOperations
import SwitchboardRuntime

/// The dashboard's pages: server-rendered, plain forms posted back with the session's CSRF
/// token, answered with a redirect (303) on success or the form again with what was wrong.
extension ConsoleServer {
    /// A page request after the path is split; errors become a page that says what happened.
    func page(_ request: HTTPRequest, _ path: [String]) async -> HTTPResponse {
        do {
            if path == ["login"] { return try await loginPage(request) }
            guard let (token, session) = try await authentication.session(of: request) else {
                return request.method == "GET" ? Self.redirect("/login") : LoginPage.render(error: "Your session ended; sign in again.", status: 401)
            }
            var form: [(name: String, value: String)] = []
            if request.method == "POST" {
                try Self.requireContentType(request, "application/x-www-form-urlencoded")
                guard let fields = FormURLEncoding.decode(body: request.body) else { throw ConsoleError.badRequest("the form is not valid URL encoding") }
                form = fields
                try requireCSRF(request, presented: form.first { $0.name == "csrf" }?.value, session: session)
            }
            var routes = RouteTable()
            addPageRoutes(to: &routes, request, form: form, token: token, csrf: session.csrf)
            return try await routes.dispatch(request.method, path)
        } catch {
            let refusal = ConsoleError.from(error)
            if refusal.status >= 500 { logger.warning("page failed", ["path": request.path, "reason": refusal.message]) }
            return Layout.page(
                title: refusal.status == 404 ? "Not found" : "That did not work", location: nil, section: nil, csrf: nil,
                notices: [Layout.Notice(kind: .error, lines: [refusal.description] + refusal.problems.dropFirst().map { "\($0.field ?? ""): \($0.message)" })],
                status: refusal.status, body: "<p><a href=\"/\">Back to the console</a></p>")
        }
    }

    private func loginPage(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.method == "POST" else { return LoginPage.render() }
        guard AdminAuthentication.sameOrigin(request) else { throw ConsoleError.csrfRefused }
        try Self.requireContentType(request, "application/x-www-form-urlencoded")
        let password = FormURLEncoding.decode(body: request.body)?.first { $0.name == "password" }?.value ?? ""
        switch try await authentication.login(password: password) {
        case .signedIn(let token, _):
            logger.info("admin signed in", [:])
            var response = Self.redirect("/")
            response.headers.append(("Set-Cookie", authentication.setCookie(token)))
            return response
        case .refused:
            logger.warning("admin sign-in refused", [:])
            return LoginPage.render(error: "Wrong password.", status: 401)
        case .limited(let retryAfter):
            var response = LoginPage.render(error: "Too many failed sign-ins; try again in \(retryAfter) seconds.", status: 429)
            response.headers.append(("Retry-After", String(retryAfter)))
            return response
        }
    }

    private func addPageRoutes(to routes: inout RouteTable, _ request: HTTPRequest, form: [(name: String, value: String)], token: String, csrf: String) {
        let query = request.queryFields
        func field(_ name: String) -> String? { form.first { $0.name == name }?.value }
        /// The configuration version the form was made from (its `If-Match`), when it says.
        func formVersion() throws -> Int? {
            try field("version").map { text -> Int in
                guard let version = Int(text) else { throw ConsoleError.badRequest("version must be a number", field: "version") }
                return version
            }
        }

        routes.add("GET", "") { [self] _ in
            let locations = try await gateway.locations()
            if locations.count == 1 { return Self.redirect("/locations/\(Layout.url(locations[0].id))/accounts") }
            let items = locations.map { "<li><a href=\"/locations/\(Layout.url($0.id))/accounts\">\(Layout.escape($0.name))</a> <span class=\"muted\">\(Layout.escape($0.id))</span></li>" }
            return Layout.page(
                title: "Locations", location: nil, section: nil, csrf: csrf,
                body: items.isEmpty ? "<p>No location is configured yet: apply one with <code>switchboardctl apply -f location.json</code> or PUT it to the API.</p>"
                    : "<ul class=\"card\">\(items.joined())</ul>")
        }
        routes.add("POST", "logout") { [self] _ in
            try await authentication.logout(token: token)
            var response = Self.redirect("/login")
            response.headers.append(("Set-Cookie", authentication.clearCookie()))
            return response
        }
        routes.add("GET", "locations/*") { captured in Self.redirect("/locations/\(Layout.url(captured[0]))/accounts") }
        routes.add("GET", "locations/*/accounts") { [self] captured in
            let document = try await gateway.document(captured[0])
            return AccountsPage.list(location: captured[0], config: document.config, csrf: csrf, notices: [])
        }
        routes.add("GET", "locations/*/accounts/*") { [self] captured in
            let document = try await gateway.document(captured[0])
            let account = try Self.account(captured[1], in: document.config)
            var notices = query["saved"].map { [Layout.Notice(kind: .success, lines: ["Saved as configuration version \($0). New contacts of this account follow it now."])] } ?? []
            let warnings = Self.warnings(about: account.id, in: document.config)
            if !warnings.isEmpty { notices.append(Layout.Notice(kind: .warning, lines: warnings)) }
            return AccountsPage.form(
                location: captured[0], account: account, config: document.config, version: document.version, form: AssignmentForm(account.assignment),
                csrf: csrf, notices: notices, preview: nil)
        }
        routes.add("POST", "locations/*/accounts/*") { [self] captured in
            try await submitAssignment(location: captured[0], account: captured[1], form: form, csrf: csrf)
        }
        routes.add("GET", "locations/*/team") { [self] captured in
            try await teamPage(location: captured[0], csrf: csrf, notices: [])
        }
        routes.add("POST", "locations/*/team/*") { [self] captured in
            let changes: [String: JSONValue]
            switch field("action") {
            case "away": changes = ["away": .bool(true)]
            case "back": changes = ["away": .bool(false)]
            case "activate": changes = ["active": .bool(true)]
            case "deactivate": changes = ["active": .bool(false)]
            default: throw ConsoleError.badRequest("action must be away, back, activate or deactivate", field: "action")
            }
            let version = try formVersion()
            _ = try await gateway.edit(captured[0], expectedVersion: version) { json in
                json = try json.changingUser(captured[1], changes, location: captured[0])
            }
            return Self.redirect("/locations/\(Layout.url(captured[0]))/team#user-\(Layout.url(captured[1]))")
        }
        routes.add("POST", "locations/*/teams/*") { [self] captured in
            let assignQueued: Bool
            switch field("action") {
            case "assign-queue": assignQueued = true
            case "hold-queue": assignQueued = false
            default: throw ConsoleError.badRequest("action must be assign-queue or hold-queue", field: "action")
            }
            let version = try formVersion()
            _ = try await gateway.edit(captured[0], expectedVersion: version) { json in
                json = try json.changingTeam(captured[1], ["assignQueued": assignQueued ? .bool(true) : .null], location: captured[0])
            }
            return Self.redirect("/locations/\(Layout.url(captured[0]))/team#team-\(Layout.url(captured[1]))")
        }
        routes.add("GET", "locations/*/contacts") { [self] captured in
            let filter = ContactsPage.Filter(text: query["q"] ?? "", owner: query["owner"] ?? "", openOnly: query["open"] == "true")
            let listed = try await gateway.contacts(
                captured[0], owner: filter.owner.isEmpty ? nil : filter.owner, openOnly: filter.openOnly, matching: filter.text, limit: 200)
            let users = try await gateway.document(captured[0]).config.users
            return ContactsPage.list(location: captured[0], listed: listed, users: users, filter: filter, csrf: csrf)
        }
        routes.add("GET", "locations/*/contacts/*") { [self] captured in
            try await contactPage(location: captured[0], contact: captured[1], csrf: csrf, notices: query["done"].map { [Layout.Notice(kind: .success, lines: [$0])] } ?? [])
        }
        routes.add("POST", "locations/*/contacts/*") { [self] captured in
            let action = field("action") ?? ""
            switch action {
            case "assign":
                guard let user = field("user"), !user.isEmpty else { throw ConsoleError.badRequest("choose a user", field: "user") }
                _ = try await gateway.act("assign", location: captured[0], contact: captured[1], user: user)
            case "release", "resolve":
                _ = try await gateway.act(action, location: captured[0], contact: captured[1])
            default:
                throw ConsoleError.badRequest("action must be assign, release or resolve", field: "action")
            }
            let done = ["assign": "Assigned.", "release": "Released to routing.", "resolve": "Resolved."][action] ?? ""
            return Self.redirect("/locations/\(Layout.url(captured[0]))/contacts/\(Layout.url(captured[1]))?done=\(Layout.url(done))")
        }
        routes.add("GET", "locations/*/report") { [self] captured in
            let (since, until) = try reportWindow(request)
            return ReportView.render(location: captured[0], report: try await gateway.report(captured[0], since: since, until: until), since: since, until: until, csrf: csrf)
        }
    }

    /// Preview (lint + simulate of the last 7 days, nothing saved) or save an account's assignment.
    private func submitAssignment(location: String, account id: String, form: [(name: String, value: String)], csrf: String) async throws -> HTTPResponse {
        let document = try await gateway.document(location)
        let account = try Self.account(id, in: document.config)
        let assignmentForm = try AssignmentForm(form: form)
        let action = form.first { $0.name == "action" }?.value ?? "save"
        guard let versionText = form.first(where: { $0.name == "version" })?.value, let version = Int(versionText) else {
            throw ConsoleError.badRequest("the form lacks its configuration version", field: "version")
        }
        func again(_ notices: [Layout.Notice], preview: AccountsPage.Preview?, status: Int) -> HTTPResponse {
            AccountsPage.form(
                location: location, account: account, config: document.config, version: document.version, form: assignmentForm, csrf: csrf,
                notices: notices, preview: preview, status: status)
        }
        do {
            let assignment = try assignmentForm.json()
            if action == "preview" {
                let json = try WireJSON.decode(JSONValue.self, from: try WireJSON.encode(document.config))
                let (proposed, report) = try MeshGateway.lint(try WireJSON.encode(try json.settingAssignment(of: id, to: assignment, location: location)))
                let until = clock.now
                let simulation = try await gateway.simulate(proposed, since: until.addingTimeInterval(-7 * 86_400), until: until)
                return again([], preview: AccountsPage.Preview(warnings: report.warnings, simulation: simulation, days: 7), status: 200)
            }
            let saved = try await gateway.edit(location, expectedVersion: version) { json in
                json = try json.settingAssignment(of: id, to: assignment, location: location)
            }
            logger.info("assignment saved from the console", ["location": location, "account": id, "version": saved.version])
            return Self.redirect("/locations/\(Layout.url(location))/accounts/\(Layout.url(id))?saved=\(saved.version)")
        } catch let refusal as ConsoleError where refusal.status < 500 {
            let lines = refusal.problems.isEmpty ? [refusal.description] : refusal.problems.map { ($0.field.map { "\($0): " } ?? "") + $0.message }
            var notices = [Layout.Notice(kind: .error, lines: lines)]
            if !refusal.warnings.isEmpty { notices.append(Layout.Notice(kind: .warning, lines: refusal.warnings)) }
            return again(notices, preview: nil, status: refusal.status)
        }
    }

    private func teamPage(location: String, csrf: String, notices: [Layout.Notice]) async throws -> HTTPResponse {
        let document = try await gateway.document(location)
        let loads = try await gateway.loads(location)
        let candidates = try await gateway.candidates(location, users: document.config.users.map(\.id), at: clock.now)
        let byUser = Dictionary(candidates.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let members = document.config.users.map { user in
            TeamPage.Member(user: user, reasons: byUser[user.id]?.reasons ?? [], localTime: byUser[user.id]?.localTime, openLoad: loads[user.id] ?? 0)
        }
        return TeamPage.render(location: location, members: members, teams: document.config.teams, version: document.version, csrf: csrf, notices: notices)
    }

    private func contactPage(location: String, contact: String, csrf: String, notices: [Layout.Notice]) async throws -> HTTPResponse {
        let found = try await gateway.contact(location, contact)
        let explanation = found.history.isEmpty ? [] : try await gateway.explanation(location, contact).sentences
        let users = try await gateway.document(location).config.users
        return ContactsPage.detail(location: location, contact: found, explanation: explanation, users: users, csrf: csrf, notices: notices)
    }

    /// Lint's warnings about one account's entry of the stored document, shown on its form.
    static func warnings(about account: String, in config: LocationConfig) -> [String] {
        guard let index = config.accounts.firstIndex(where: { $0.id == account }), let bytes = try? WireJSON.encode(config) else { return [] }
        let place = "accounts[\(index)]"
        return ConfigLinter.lint(bytes).1.warnings.filter { $0.hasPrefix(place + ".") || $0.hasPrefix(place + ":") }
    }

    static func account(_ id: String, in config: LocationConfig) throws -> Account {
        guard let account = config.accounts.first(where: { $0.id == id }) else { throw ConsoleError.notFound("no account \(id) in \(config.location.id)") }
        return account
    }

    static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 303, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], body: Array("see \(location)\n".utf8))
    }
}
