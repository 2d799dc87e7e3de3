import Synchronization
import Testing
@testable import SwitchboardNotifier

/// The message path reads a location's credential from memory; a credential added, changed or
/// removed in the secrets is seen once the refresh interval has passed, per location.
@Suite struct CRMCredentialCacheTests {
    final class Secrets: Sendable {
        let tokens = Mutex<[String: String]>([:])
        let reads = Mutex(0)
        func read(_ location: String) -> CRMCredential? {
            reads.withLock { $0 += 1 }
            return tokens.withLock { $0[location] }.map(CRMCredential.fixed)
        }
    }

    @Test func aCredentialIsReadOncePerRefreshAndChangesAreSeenAfterIt() {
        let secrets = Secrets()
        let clock = Mutex<UInt64>(1_000)
        let cache = CRMCredentialCache(refresh: 5, now: { clock.withLock { $0 } }, read: secrets.read)

        #expect(cache.credential("loc_a") == nil)
        secrets.tokens.withLock { $0["loc_a"] = "t1" }
        for _ in 0..<100 { #expect(cache.credential("loc_a") == nil) }
        #expect(secrets.reads.withLock { $0 } == 1)

        clock.withLock { $0 += 5_000_000_000 }
        #expect(cache.credential("loc_a") == .fixed("t1"))
        #expect(cache.credential("loc_b") == nil)
        #expect(secrets.reads.withLock { $0 } == 3)

        secrets.tokens.withLock { $0["loc_a"] = nil }
        clock.withLock { $0 += 4_999_999_999 }
        #expect(cache.credential("loc_a") == .fixed("t1"))
        clock.withLock { $0 += 1 }
        #expect(cache.credential("loc_a") == nil)
    }
}
