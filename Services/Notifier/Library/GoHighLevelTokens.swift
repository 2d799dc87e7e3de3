import Foundation
import SwitchboardCodec
import SwitchboardHTTP
import SwitchboardRuntime

/// How a location's GoHighLevel calls are authorized (``GoHighLevelTokens``).
public enum CRMCredential: Sendable, Equatable {
    /// A Private Integration token, used as it is.
    case fixed(String)
    /// An OAuth grant: the notifier refreshes its access tokens.
    case oauth(clientID: String, clientSecret: String, refreshToken: String)

    /// Reads the `ghl-oauth` credential's JSON (`{"clientId", "clientSecret", "refreshToken"}`).
    public static func oauth(json: String) -> CRMCredential? {
        guard let value = try? WireJSON.decode(JSONValue.self, from: Array(json.utf8)),
              let id = value["clientId"]?.stringValue, let secret = value["clientSecret"]?.stringValue, let refresh = value["refreshToken"]?.stringValue
        else { return nil }
        return .oauth(clientID: id, clientSecret: secret, refreshToken: refresh)
    }
}

/// The bearer token a location's GoHighLevel calls carry: a fixed one (a Private Integration
/// token, `ghl-token` / `ghl-token-LOCATION`), or an OAuth access token kept fresh with the
/// refresh token (`ghl-oauth` / `ghl-oauth-LOCATION`: `{"clientId", "clientSecret",
/// "refreshToken"}`, a Location-type grant).
///
/// GoHighLevel rotates the refresh token at every refresh, so the latest pair lives in the
/// notifier's database (the credential only seeds it) and refreshes are made one at a time. An
/// access token is refreshed five minutes before it expires, and once when GoHighLevel answers
/// 401; a refused refresh is a clear, permanent failure rather than a retry loop.
final class GoHighLevelTokens: Sendable {
    typealias Credential = CRMCredential

    /// Why no token could be had.
    enum Failure: Error, Equatable {
        /// GoHighLevel refused the credential: a person must authorize again.
        case refused(String)
        /// The refresh could not be made now (network, 5xx, 429): try later.
        case unavailable(String)
    }

    private let credential: @Sendable (String) -> Credential?
    private let store: NotifierStore
    private let poster: HTTPPoster
    private let baseURL: String
    private let clock: any WallClock
    private let refreshes = AsyncLock()

    init(credential: @escaping @Sendable (String) -> Credential?, store: NotifierStore, poster: HTTPPoster, baseURL: String, clock: any WallClock) {
        self.credential = credential
        self.store = store
        self.poster = poster
        self.baseURL = baseURL
        self.clock = clock
    }

    func isConfigured(_ location: String) -> Bool { credential(location) != nil }

    /// A token for `location`'s next call; nil when the location has no CRM credential.
    func token(for location: String) async -> Result<String, Failure>? {
        let grant: CRMCredential
        switch credential(location) {
        case nil: return nil
        case .fixed(let token)?: return .success(token)
        case let oauth?: grant = oauth
        }
        return await refreshes.withLock {
            if let stored = try? await store.crmToken(location: location), let access = stored.accessToken,
               let expires = stored.expiresAt, expires.timeIntervalSince(clock.now) > 300 {
                return .success(access)
            }
            return await refresh(location, grant)
        }
    }

    /// GoHighLevel answered 401 to `rejected`: a new token when one can be had (OAuth, and the
    /// stored token is still the rejected one or newer), else why not.
    func afterRejection(of rejected: String, for location: String) async -> Result<String, Failure> {
        guard let credential = credential(location), case .oauth = credential else {
            return .failure(.refused("GoHighLevel refused the token of \(location) (401): replace the ghl-token credential"))
        }
        return await refreshes.withLock {
            if let stored = try? await store.crmToken(location: location), let access = stored.accessToken, access != rejected,
               let expires = stored.expiresAt, expires > clock.now {
                return .success(access)
            }
            return await refresh(location, credential)
        }
    }

    /// Exchanges the latest refresh token (the stored one, else the credential's) for a new pair.
    private func refresh(_ location: String, _ credential: Credential) async -> Result<String, Failure> {
        guard case .oauth(let clientID, let clientSecret, let seeded) = credential else { return .failure(.refused("not an OAuth credential")) }
        let stored = try? await store.crmToken(location: location)
        var candidates = [stored?.refreshToken].compactMap { $0 }
        if !candidates.contains(seeded) { candidates.append(seeded) }
        var lastRefusal = "no refresh token"
        for refreshToken in candidates {
            let form = FormURLEncoding.encode([
                ("client_id", clientID), ("client_secret", clientSecret), ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("user_type", "Location"),
            ].map { (name: $0.0, value: $0.1) })
            let url = URL(string: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/oauth/token")!
            let answer = await poster.send("POST", url, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"], body: Data(form.utf8))
            switch answer {
            case .failed(let reason):
                return .failure(.unavailable("token refresh for \(location): \(reason)"))
            case .answered(let status, _, let body):
                if status == 429 || status >= 500 { return .failure(.unavailable("token refresh for \(location): HTTP \(status)")) }
                guard (200..<300).contains(status) else {
                    lastRefusal = "HTTP \(status): \(String(decoding: body.prefix(200), as: UTF8.self))"
                    continue
                }
                guard let value = try? WireJSON.decode(JSONValue.self, from: Array(body)), let access = value["access_token"]?.stringValue,
                      let next = value["refresh_token"]?.stringValue
                else { return .failure(.unavailable("token refresh for \(location): an answer without access_token and refresh_token")) }
                let lifetime = value["expires_in"]?.doubleValue ?? 86_399
                let token = NotifierStore.StoredToken(accessToken: access, refreshToken: next, expiresAt: clock.now.addingTimeInterval(lifetime))
                do {
                    try await store.saveCRMToken(location: location, token)
                } catch {
                    // The new refresh token replaces the old at GoHighLevel: not keeping it would
                    // lose the grant, so this call fails and the next one tries again.
                    return .failure(.unavailable("token refresh for \(location): could not store the new tokens: \(error)"))
                }
                return .success(access)
            }
        }
        return .failure(.refused("GoHighLevel refused the refresh token of \(location) (\(lastRefusal)): authorize the app again and replace the ghl-oauth credential"))
    }
}
