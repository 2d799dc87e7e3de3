import Foundation
import Testing
@testable import SwitchboardNet

/// The partition map's rules (docs/scaling.md): pinned locations win, the hash is the same in
/// every process and moves little when an instance is added, and a bad file is refused by name.
@Suite struct PartitionMapTests {
    static let three = PartitionMap(routers: ["r1": "10.0.0.1:7102", "r2": "10.0.0.2:7102", "r3": "10.0.0.3:7102"])

    @Test func aPinnedLocationBelongsToItsInstanceAndTheRestHashTheSameEveryTime() {
        var map = Self.three
        let hashed = map.owner(of: "loc_acme")
        #expect(Self.three.owner(of: "loc_acme") == hashed)
        map.locations["loc_acme"] = hashed == "r1" ? "r2" : "r1"
        #expect(map.owner(of: "loc_acme") == map.locations["loc_acme"])
        // Fixed values: the hash must not change between builds, or a running mesh would
        // disagree with itself after an upgrade.
        #expect(["loc_p0", "loc_p1", "loc_p2", "loc_p3", "loc_p4", "loc_p5"].map(Self.three.owner(of:)) == ["r3", "r1", "r2", "r3", "r2", "r3"])
    }

    @Test func locationsSpreadEvenlyAndAFourthInstanceTakesOnlyItsShare() {
        let locations = (0..<3_000).map { "loc_\($0)" }
        var counts: [String: Int] = [:]
        for location in locations { counts[Self.three.owner(of: location), default: 0] += 1 }
        #expect(counts.values.allSatisfy { (900...1_100).contains($0) }, "\(counts)")
        var four = Self.three
        four.routers["r4"] = "10.0.0.4:7102"
        let moved = locations.filter { Self.three.owner(of: $0) != four.owner(of: $0) }
        #expect(moved.allSatisfy { four.owner(of: $0) == "r4" }, "a location only ever moves to the new instance")
        #expect((600...900).contains(moved.count), "about a quarter moves: \(moved.count)")
    }

    @Test func aBadFileIsRefusedNamingTheProblem() throws {
        #expect(throws: PartitionMapError.self) { try PartitionMap(routers: [:]).validate() }
        #expect { try PartitionMap(routers: ["r1": "nowhere"]).validate() } throws: { "\($0)".contains("routers.r1") }
        #expect { try PartitionMap(routers: ["r1": "127.0.0.1:7102"], locations: ["loc": "r9"]).validate() } throws: { "\($0)".contains("locations.loc") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("partitions-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"routers": {"r1": "127.0.0.1:7102"}, "colour": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PartitionMapError.self) { try PartitionMap.load(path: path) }
    }
}
