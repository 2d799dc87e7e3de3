import Foundation

/// A deterministic random source (SplitMix64) for randomized tests: the same seed draws the same
/// inputs on every run and machine, so a failure names an input that reproduces.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The generator of one randomized test: seeded with `SWITCHBOARD_TEST_SEED` when it is set
    /// (to replay a failed run), otherwise with `seed`; the seed is printed with the test's name,
    /// so a failing run's log says how to reproduce it.
    public static func forTest(_ test: String = #function, seed: UInt64) -> SeededGenerator {
        let chosen = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_SEED"].flatMap { UInt64($0) } ?? seed
        print("\(test): random seed \(chosen) (SWITCHBOARD_TEST_SEED=\(chosen) replays it)")
        return SeededGenerator(seed: chosen)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
