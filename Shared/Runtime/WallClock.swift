public import Foundation
import Synchronization

/// Where a service reads the time of day for what it schedules (retry times, rate windows), so
/// tests can move time instead of waiting for it. Durations of work (latencies, timeouts) are
/// measured with monotonic clocks, not this.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The system's time of day.
public struct SystemWallClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// A time of day that moves only when told (`--test-clock`): it starts at the real time and
/// ``advance(by:)`` moves it forward.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    public init(start: Date = Date()) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    /// Moves the time forward by `seconds`; answers the new time.
    @discardableResult
    public func advance(by seconds: Double) -> Date {
        current.withLock { now in
            now = now.addingTimeInterval(max(0, seconds))
            return now
        }
    }
}
