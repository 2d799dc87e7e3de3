import Foundation
import SwitchboardCodec
import SwitchboardRuntime

/// Reads from GoHighLevel for the rest of the mesh: the notifier holds the location tokens (and
/// their refresh), so the directory's user sync and `apply`'s id checks ask it
/// (`notifier.ghl_users`) rather than holding a second copy of a rotating grant.
struct GoHighLevelAPI: Sendable {
    let poster: HTTPPoster
    let baseURL: String
    let tokens: GoHighLevelTokens
    let limiter: RateLimiter
    let clock: any WallClock

    /// The body of `GET /users/?locationId=…` (`payloads/ghl-users-by-location-response.json`).
    func users(location: String) async throws -> JSONValue {
        guard let issued = await tokens.token(for: location) else {
            throw WireError.badRequest("no GoHighLevel credential for \(location) (ghl-token-\(location), ghl-oauth-\(location), ghl-token or ghl-oauth)")
        }
        var token = try Self.value(issued)
        if let wait = limiter.acquire(location, count: 1, now: clock.now) {
            throw WireError(.unavailable, "GoHighLevel's rate limit for \(location): try after \(RFC3339.format(wait))")
        }
        var components = URLComponents(string: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/users/")!
        components.queryItems = [URLQueryItem(name: "locationId", value: location)]
        for retried in [false, true] {
            let answer = await poster.send("GET", components.url!, headers: ["Authorization": "Bearer \(token)", "Version": "2021-07-28", "Accept": "application/json"], body: nil)
            switch answer {
            case .failed(let reason):
                throw WireError(.unavailable, "GoHighLevel did not answer: \(reason)")
            case .answered(401, _, _) where !retried:
                token = try Self.value(await tokens.afterRejection(of: token, for: location))
            case .answered(let status, let headers, let body):
                if status == 429 {
                    let until = RateLimitHeaders.resume(headers, now: clock.now)
                    limiter.block(location, until: until, now: clock.now)
                    throw WireError(.unavailable, "GoHighLevel's rate limit for \(location): try after \(RFC3339.format(until))")
                }
                guard (200..<300).contains(status) else {
                    throw WireError(status >= 500 ? .unavailable : .badRequest, "GoHighLevel answered \(status): \(String(decoding: body.prefix(200), as: UTF8.self))")
                }
                do {
                    return try WireJSON.decode(JSONValue.self, from: Array(body))
                } catch {
                    throw WireError(.unavailable, "GoHighLevel's users answer is not JSON")
                }
            }
        }
        throw WireError(.unavailable, "GoHighLevel refused the token twice")
    }

    private static func value(_ issued: Result<String, GoHighLevelTokens.Failure>) throws -> String {
        switch issued {
        case .success(let token): return token
        case .failure(.refused(let reason)): throw WireError.badRequest(reason)
        case .failure(.unavailable(let reason)): throw WireError(.unavailable, reason)
        }
    }
}
