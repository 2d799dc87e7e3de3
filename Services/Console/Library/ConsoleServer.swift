import Foundation
import SwitchboardCodec
import SwitchboardHTTP
import SwitchboardRuntime

/// The console's HTTP surface: the JSON API under `/api/` and the dashboard's pages, on one
/// listener (`switchboard-console`, 127.0.0.1:7105 by default). Every answer carries headers that
/// keep it out of frames and caches and allow no script at all (the pages are plain forms).
final class ConsoleServer: Sendable {
    let gateway: MeshGateway
    let authentication: AdminAuthentication
    let clock: any WallClock
    let logger: Logger

    init(gateway: MeshGateway, authentication: AdminAuthentication, clock: any WallClock, logger: Logger) {
        self.gateway = gateway
        self.authentication = authentication
        self.clock = clock
        self.logger = logger
    }

    func register(on http: HTTPServer) {
        http.mount("/") { [self] request in await handle(request) }
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response: HTTPResponse
        let segments = Self.segments(request.path)
        if segments.first == "api" {
            do {
                response = try await api(request, Array(segments.dropFirst()))
            } catch {
                let refusal = ConsoleError.from(error)
                if refusal.status >= 500 { logger.warning("api request failed", ["path": request.path, "reason": refusal.message]) }
                response = refusal.response
            }
        } else {
            response = await page(request, segments)
        }
        response.headers += [
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ]
        return response
    }

    /// The path's segments, percent-decoded (`/api/locations/loc_acme/contacts/%2B1555…`).
    static func segments(_ path: String) -> [String] {
        path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Whether a request with a body says it is `mediaType` (parameters such as charset allowed).
    static func requireContentType(_ request: HTTPRequest, _ mediaType: String) throws {
        let declared = request.header("Content-Type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard declared == mediaType else {
            throw ConsoleError(status: 415, code: "unsupported_media_type", message: "send \(mediaType) (got \(declared ?? "no Content-Type"))")
        }
    }

    /// The signed-in session, or 401 / a redirect to the login page.
    func requireSession(_ request: HTTPRequest) async throws -> (token: String, session: ConsoleStore.Session) {
        guard let signedIn = try await authentication.session(of: request) else { throw ConsoleError.unauthorized }
        return signedIn
    }

    /// A write's CSRF token and origin, checked against the session.
    func requireCSRF(_ request: HTTPRequest, presented: String?, session: ConsoleStore.Session) throws {
        guard AdminAuthentication.sameOrigin(request), authentication.csrfAccepted(presented, session: session) else {
            throw ConsoleError.csrfRefused
        }
    }
}
