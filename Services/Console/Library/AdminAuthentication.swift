import Foundation
import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardRuntime

/// Who may use the console: one admin, known by a password hash from systemd credentials or the
/// environment (`console-password-hash`), signed in with a session cookie.
///
/// The cookie is `HttpOnly` and `SameSite=Strict` (and `Secure` when the console sits behind
/// TLS), so scripts on other sites can neither read nor send it. Every write also carries the
/// session's CSRF token (header `X-CSRF-Token` or form field `csrf`) and, when the browser sends
/// `Origin`, must come from the console's own origin. Failed logins are limited: after
/// ``Policy/maximumFailures`` within ``Policy/failureWindow`` the login answers 429 until the
/// oldest ages out; the count lives in the console's database, so a restart does not reset it.
/// (There is one admin, so the limit is per account, not per address: behind a proxy every
/// address is the proxy's.)
final class AdminAuthentication: Sendable {
    struct Policy: Sendable {
        var sessionLifetime: Double = 12 * 3600
        var maximumFailures = 10
        var failureWindow: Double = 15 * 60
        /// Adds `Secure` to the cookie: set when browsers reach the console over HTTPS.
        var secureCookies = false
    }

    static let cookieName = "switchboard_session"

    enum Outcome: Sendable, Equatable {
        case signedIn(token: String, csrf: String)
        case refused
        case limited(retryAfter: Int)
    }

    private let passwordHash: PasswordHash
    private let store: ConsoleStore
    /// Sign-ins one at a time: the limit is counted and checked in one turn (concurrent guesses
    /// cannot all pass a count read before any is recorded), and a flood of them costs one
    /// PBKDF2 at a time.
    private let attempts = AsyncLock()
    private let clock: any WallClock
    let policy: Policy

    init(passwordHash: PasswordHash, store: ConsoleStore, clock: any WallClock, policy: Policy) {
        self.passwordHash = passwordHash
        self.store = store
        self.clock = clock
        self.policy = policy
    }

    /// Checks a password, within the failure limit; a success opens a session.
    func login(password: String) async throws -> Outcome {
        try await attempts.withLock { try await checkedLogin(password: password) }
    }

    private func checkedLogin(password: String) async throws -> Outcome {
        let now = clock.now
        let windowStart = now.addingTimeInterval(-policy.failureWindow)
        let failures = try await store.failures(since: windowStart)
        if failures.count >= policy.maximumFailures { return .limited(retryAfter: retryAfter(failures, now: now)) }
        guard passwordHash.verifies(password) else {
            let recent = try await store.recordFailure(at: now, windowStart: windowStart)
            return recent.count >= policy.maximumFailures ? .limited(retryAfter: retryAfter(recent, now: now)) : .refused
        }
        let token = SecureRandom.hex(32)
        let csrf = SecureRandom.hex(32)
        try await store.open(
            tokenHash: Self.hash(token), session: ConsoleStore.Session(csrf: csrf, expiresAt: now.addingTimeInterval(policy.sessionLifetime)), at: now)
        return .signedIn(token: token, csrf: csrf)
    }

    private func retryAfter(_ failures: [Date], now: Date) -> Int {
        let oldest = failures.first ?? now
        return max(1, Int((oldest.addingTimeInterval(policy.failureWindow).timeIntervalSince(now)).rounded(.up)))
    }

    /// The session the request's cookie names, if it is live.
    func session(of request: HTTPRequest) async throws -> (token: String, session: ConsoleStore.Session)? {
        guard let token = Self.cookie(Self.cookieName, in: request), token.utf8.count == 64 else { return nil }
        guard let session = try await store.session(tokenHash: Self.hash(token), at: clock.now) else { return nil }
        return (token, session)
    }

    func logout(token: String) async throws {
        try await store.close(tokenHash: Self.hash(token))
    }

    /// Whether a write may proceed: the CSRF token matches the session's (constant time).
    func csrfAccepted(_ presented: String?, session: ConsoleStore.Session) -> Bool {
        guard let presented else { return false }
        return ConstantTime.equals(presented, session.csrf)
    }

    /// Whether a request's `Origin` (when sent) is the console's own: the scheme and the
    /// `Host` it was addressed to.
    static func sameOrigin(_ request: HTTPRequest) -> Bool {
        guard let origin = request.header("Origin") else { return true }
        guard let host = request.header("Host") else { return false }
        let forwarded = request.header("X-Forwarded-Host") ?? host
        return origin == "http://\(host)" || origin == "https://\(host)" || origin == "https://\(forwarded)"
    }

    func setCookie(_ token: String) -> String {
        "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(policy.sessionLifetime))" + (policy.secureCookies ? "; Secure" : "")
    }

    func clearCookie() -> String {
        "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (policy.secureCookies ? "; Secure" : "")
    }

    static func hash(_ token: String) -> String { Hex.encode(Digest.sha256(Array(token.utf8))) }

    /// The value of cookie `name` from the request's `Cookie` header.
    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers where header.name.lowercased() == "cookie" {
            for pair in header.value.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
            }
        }
        return nil
    }
}
