import Foundation

/// Exponential backoff with jitter (`PROTOCOL.md`: retry "with exponential backoff and jitter").
///
/// The delay before attempt *n* (1-based, after the first failure) is drawn uniformly from
/// `[d/2, d]` where `d = min(maximum, initial × multiplier^(n-1))` ("equal jitter": never zero,
/// never in lock-step with other clients).
public struct Backoff: Sendable, Equatable {
    public var initial: Double
    public var multiplier: Double
    public var maximum: Double

    public init(initial: Double = 0.05, multiplier: Double = 2, maximum: Double = 5) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
    }

    /// The delay in seconds before retry `attempt` (1 for the first retry), given `unit` in `[0, 1)`.
    public func delay(attempt: Int, unit: Double) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let ceiling = min(maximum, initial * pow(multiplier, exponent))
        return ceiling / 2 + ceiling / 2 * min(max(unit, 0), 1)
    }

    /// The delay with a fresh random draw.
    public func delay(attempt: Int) -> Double {
        delay(attempt: attempt, unit: Double.random(in: 0..<1))
    }
}

