import Foundation
import Testing
import SwitchboardDomain
@testable import SwitchboardRouter

/// The router's applied configurations: one entry per location, replaced only by a newer
/// version, and an account always answered with the version it belongs to.
@Suite struct AppliedConfigurationsTests {
    static func routing(salesUser: String) throws -> CompiledRouting {
        try CompiledRouting(RoutingEngineTests.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC"},
             "users": [{"id": "u_a", "name": "A"}, {"id": "u_b", "name": "B"}],
             "accounts": [{"id": "acc", "name": "Sales", "platform": "twilio", "address": "+15550000001",
               "assignment": {"target": {"user": "\(salesUser)"}}}]}
            """))
    }

    @Test func anOlderVersionArrivingLateDoesNotReplaceANewerOne() throws {
        let configurations = AppliedConfigurations()
        configurations.apply(try Self.routing(salesUser: "u_a"), version: 1)
        configurations.apply(try Self.routing(salesUser: "u_b"), version: 3)
        let kept = configurations.apply(try Self.routing(salesUser: "u_a"), version: 2)
        #expect(kept.version == 3)
        #expect(configurations.entry(location: "loc")?.version == 3)
        let (entry, account) = try #require(configurations.entry(platform: .twilio, address: "+15550000001"))
        #expect(entry.version == 3)
        #expect(account.assignment?.target.summary == entry.config.accounts[0].assignment?.target.summary)
        #expect(account.assignment?.target.summary.contains("u_b") == true)
    }

    @Test func anEntryHeldByADecisionStaysItsVersionAfterANewOneIsApplied() throws {
        let configurations = AppliedConfigurations()
        configurations.apply(try Self.routing(salesUser: "u_a"), version: 1)
        let held = try #require(configurations.entry(location: "loc"))
        configurations.apply(try Self.routing(salesUser: "u_b"), version: 2)
        #expect(held.version == 1 && held.config.accounts[0].assignment?.target.summary.contains("u_a") == true)
        #expect(configurations.entry(location: "loc")?.version == 2)
        #expect(configurations.entry(platform: .twilio, address: "+15559999999") == nil)
    }

    @Test func anAccountDroppedByANewerVersionNoLongerFindsTheLocation() throws {
        let configurations = AppliedConfigurations()
        configurations.apply(try Self.routing(salesUser: "u_a"), version: 1)
        #expect(configurations.entry(platform: .twilio, address: "+15550000001")?.0.version == 1)
        let without = try CompiledRouting(RoutingEngineTests.config("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "UTC"}, "users": [{"id": "u_a", "name": "A"}],
             "accounts": [{"id": "acc2", "name": "Other", "platform": "twilio", "address": "+15550000002"}]}
            """))
        configurations.apply(without, version: 2)
        #expect(configurations.entry(platform: .twilio, address: "+15550000001") == nil)
        #expect(configurations.entry(platform: .twilio, address: "+15550000002")?.1.id == "acc2")
    }
}
