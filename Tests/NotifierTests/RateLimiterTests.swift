import Foundation
import Testing
@testable import SwitchboardNotifier

/// The GoHighLevel limit, on the limiter's own clock: no window of `interval` seconds ever
/// holds more than `limit` granted requests, and a refusal names when to ask again.
@Suite struct RateLimiterTests {
    @Test func noWindowEverHoldsMoreThanTheLimitAndRefusalsNameWhenToRetry() {
        let limiter = RateLimiter(capacity: 5, interval: 1)
        let start = Date(timeIntervalSince1970: 1_000)
        var granted: [Date] = []
        var now = start
        for _ in 0..<1_000 where granted.count < 40 {
            let count = granted.count % 3 == 0 ? 3 : 1
            if let retry = limiter.acquire("loc", count: count, now: now) {
                #expect(retry > now)
                now = retry
            } else {
                granted += repeatElement(now, count: count)
                now = now.addingTimeInterval(0.07)
            }
        }
        #expect(granted.count >= 40)
        for (index, first) in granted.enumerated() {
            #expect(granted[index...].prefix { $0.timeIntervalSince(first) < 1 }.count <= 5, "window from grant \(index)")
        }
        #expect(limiter.acquire("other", count: 5, now: start) == nil, "each location has its own window")
    }

    @Test func aBlockHoldsEveryRequestUntilItsTime() {
        let limiter = RateLimiter(capacity: 5, interval: 1)
        let now = Date(timeIntervalSince1970: 1_000)
        limiter.block("loc", until: now.addingTimeInterval(30), now: now)
        #expect(limiter.acquire("loc", now: now.addingTimeInterval(29)) == now.addingTimeInterval(30))
        #expect(limiter.acquire("loc", now: now.addingTimeInterval(30)) == nil)
    }
}
