import Foundation
import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardRuntime
import SwitchboardTestSupport
import Testing
@testable import SwitchboardConsole

/// Sign-in, sessions and the failed-login limit over a real SQLite file, with an injected clock.
@Suite struct AdminAuthenticationTests {
    static let hash = PasswordHash(password: "the admin password", iterations: 1000)

    static func authentication(_ path: String, clock: ManualWallClock, hash: PasswordHash = hash) throws -> (AdminAuthentication, ConsoleStore) {
        let store = try ConsoleStore(path: path)
        return (AdminAuthentication(passwordHash: hash, store: store, clock: clock, policy: AdminAuthentication.Policy()), store)
    }

    static func request(cookie: String?) -> HTTPRequest {
        HTTPRequest(method: "GET", target: "/api/locations", headers: cookie.map { [("Cookie", "theme=dark; switchboard_session=\($0)")] } ?? [])
    }

    @Test func tenFailuresLimitSignInUntilTheOldestAgesOutEvenAcrossARestart() async throws {
        let folder = TemporaryDirectory()
        let clock = ManualWallClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        var (authentication, store) = try Self.authentication(folder.file("console.sqlite"), clock: clock)
        for attempt in 1...9 {
            #expect(try await authentication.login(password: "guess \(attempt)") == .refused)
            _ = clock.advance(by: 10)
        }
        guard case .limited(let retryAfter) = try await authentication.login(password: "guess 10") else {
            Issue.record("the tenth failure within 15 minutes limits sign-in")
            return
        }
        #expect(retryAfter == 15 * 60 - 90)
        await store.stop()
        (authentication, store) = try Self.authentication(folder.file("console.sqlite"), clock: clock)
        guard case .limited = try await authentication.login(password: "the admin password") else {
            Issue.record("a restart keeps the limit, and the right password does not lift it early")
            return
        }
        _ = clock.advance(by: Double(retryAfter))
        guard case .signedIn = try await authentication.login(password: "the admin password") else {
            Issue.record("once the oldest failure aged out, the right password signs in")
            return
        }
        await store.stop()
    }

    @Test func concurrentWrongPasswordsAreCheckedOneAtATimeSoNoneIsTriedPastTheLimit() async throws {
        let folder = TemporaryDirectory()
        // A slow hash (tens of ms a check) gives concurrent attempts time to overlap.
        let (authentication, store) = try Self.authentication(
            folder.file("console.sqlite"), clock: ManualWallClock(start: Date(timeIntervalSince1970: 1_800_000_000)),
            hash: PasswordHash(password: "the admin password", iterations: 100_000))
        let outcomes = try await withThrowingTaskGroup(of: AdminAuthentication.Outcome.self) { group in
            for attempt in 0..<20 { group.addTask { try await authentication.login(password: "guess \(attempt)") } }
            return try await group.reduce(into: [AdminAuthentication.Outcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .refused }.count == 9, "nine refused, the tenth reaches the limit, the rest are limited: \(outcomes)")
        #expect(outcomes.filter { if case .limited = $0 { true } else { false } }.count == 11)
        // Past the limit no password is even checked: exactly ten failures were recorded (had the
        // attempts overlapped, each would have been checked and recorded, and a right password
        // among them could have signed in past the limit).
        let recorded = try await store.failures(since: Date(timeIntervalSince1970: 0))
        #expect(recorded.count == 10, "\(recorded.count) passwords checked")
        await store.stop()
    }

    @Test func aSessionLivesUntilItExpiresOrSignsOutAndOnlyItsCookieFindsIt() async throws {
        let folder = TemporaryDirectory()
        let clock = ManualWallClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        let (authentication, store) = try Self.authentication(folder.file("console.sqlite"), clock: clock)
        guard case .signedIn(let token, let csrf) = try await authentication.login(password: "the admin password") else {
            Issue.record("the right password signs in")
            return
        }
        let found = try #require(try await authentication.session(of: Self.request(cookie: token)))
        #expect(found.session.csrf == csrf)
        #expect(authentication.csrfAccepted(csrf, session: found.session))
        #expect(!authentication.csrfAccepted(String(csrf.reversed()), session: found.session))
        #expect(!authentication.csrfAccepted(nil, session: found.session))
        #expect(try await authentication.session(of: Self.request(cookie: String(repeating: "a", count: 64))) == nil)
        #expect(try await authentication.session(of: Self.request(cookie: nil)) == nil)
        _ = clock.advance(by: 12 * 3600 + 1)
        #expect(try await authentication.session(of: Self.request(cookie: token)) == nil, "expired after 12 hours")

        guard case .signedIn(let second, _) = try await authentication.login(password: "the admin password") else {
            Issue.record("the right password signs in again after an expiry")
            return
        }
        try await authentication.logout(token: second)
        #expect(try await authentication.session(of: Self.request(cookie: second)) == nil)
        await store.stop()
    }

    @Test func originMustBeTheConsolesOwnWhenSent() {
        func request(_ origin: String?) -> HTTPRequest {
            var headers = [("Host", "console.example.com")]
            if let origin { headers.append(("Origin", origin)) }
            return HTTPRequest(method: "POST", target: "/login", headers: headers)
        }
        #expect(AdminAuthentication.sameOrigin(request(nil)))
        #expect(AdminAuthentication.sameOrigin(request("https://console.example.com")))
        #expect(!AdminAuthentication.sameOrigin(request("https://evil.example")))
        #expect(!AdminAuthentication.sameOrigin(request("https://console.example.com.evil.example")))
    }

    @Test func theCookieIsHttpOnlyStrictAndSecureWhenAskedTo() async throws {
        let folder = TemporaryDirectory()
        let store = try ConsoleStore(path: folder.file("console.sqlite"))
        var policy = AdminAuthentication.Policy()
        policy.secureCookies = true
        let cookie = AdminAuthentication(passwordHash: Self.hash, store: store, clock: ManualWallClock(), policy: policy).setCookie("t")
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.hasSuffix("; Secure"))
        await store.stop()
    }
}
