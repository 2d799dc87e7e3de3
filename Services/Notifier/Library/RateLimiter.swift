import Foundation
import Synchronization

/// A sliding-window limit per key (GoHighLevel location): at most `limit` requests in any
/// `interval` seconds (payloads/README.md: 100 per 10 s). Unlike a token bucket, which lets a
/// full bucket plus its refill through in one interval, the window log never exceeds the limit.
/// A 429 blocks the key until the time its headers name.
final class RateLimiter: Sendable {
    private struct Window {
        /// Send times within the last interval, oldest first.
        var sent: [Date] = []
        var blockedUntil: Date?
    }

    let limit: Int
    let interval: Double
    private let windows = Mutex<[String: Window]>([:])

    init(capacity: Int = 100, interval: Double = 10) {
        limit = capacity
        self.interval = interval
    }

    /// Reserves `count` requests for `key` at once (all or none); returns nil when granted, else
    /// when to ask again. Reserving a whole update's requests together means a half-done update
    /// never repeats its first request while it waits for the rest.
    func acquire(_ key: String, count: Int = 1, now: Date) -> Date? {
        windows.withLock { windows -> Date? in
            var window = windows[key] ?? Window()
            defer { windows[key] = window }
            if let blocked = window.blockedUntil, blocked > now { return blocked }
            window.blockedUntil = nil
            window.sent.removeAll { now.timeIntervalSince($0) >= interval }
            let excess = window.sent.count + count - limit
            guard excess <= 0 else {
                return window.sent[excess - 1].addingTimeInterval(interval)
            }
            window.sent.append(contentsOf: repeatElement(now, count: count))
            return nil
        }
    }

    /// After a 429: no request for `key` before `until`.
    func block(_ key: String, until: Date, now: Date) {
        windows.withLock { windows in
            windows[key, default: Window()].blockedUntil = until
        }
    }
}
