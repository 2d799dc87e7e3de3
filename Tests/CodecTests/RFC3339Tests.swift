import Foundation
import Testing
import SwitchboardTestSupport
@testable import SwitchboardCodec

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-28T17:00:00Z", 1_795_885_200.0),
        ("2026-11-28T17:00:00.250Z", 1_795_885_200.25),
        ("2026-11-28T12:00:00-05:00", 1_795_885_200.0),
        ("2026-11-28T22:30:00+05:30", 1_795_885_200.0),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
    ])
    func parsesUTCOffsetsAndFractions(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.0005)
    }

    @Test(arguments: ["2026-11-28", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-28T17:00:00", "2026-11-28T25:00:00Z",
                      "2026-11-28T17:00:00.Z", "2026-11-28T17:00:00Zjunk", ""])
    func rejectsMalformedTimes(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsUTCWithMillisecondsOnlyWhenPresent() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_885_200)) == "2026-11-28T17:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_885_200.25)) == "2026-11-28T17:00:00.250Z")
    }

    @Test func agreesWithFoundationOnRandomInstants() throws {
        var generator = SeededGenerator.forTest(seed: 2026_12_06)
        let formatter = ISO8601DateFormatter()
        for _ in 0..<2000 {
            let seconds = Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC3339.format(date) == formatter.string(from: date))
            #expect(RFC3339.parse(formatter.string(from: date)) == date)
        }
    }
}
