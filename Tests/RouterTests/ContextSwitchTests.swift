import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardTestSupport
import Testing

/// ROUTING.md step 7 under `multiTouch: context` (#23, item 6): a fresh decision for another
/// account that picks the current owner keeps them with reason `context_switch`, notifies
/// `message`, and moves the contact's context to that account.
@Suite(.serialized) struct ContextSwitchTests {
    @Test func aFreshDecisionThatPicksTheCurrentOwnerSaysContextSwitchAndMovesTheContext() async throws {
        let folder = TemporaryDirectory()
        let config = try RouterServiceTests.scenarioConfig("07b-multitouch-context.json") { config in
            var accounts = config["accounts"] as! [[String: Any]]
            accounts[1]["assignment"] = ["target": ["user": "u_sales"]]
            config["accounts"] = accounts
        }
        let mesh = try await RouterServiceTests.start(folder, config: config)
        func route(_ id: String, to account: String, platform: Platform, at: String) async throws -> RouterServiceTests.Answer {
            try await mesh.routerClient.call("router.route", RouterServiceTests.message("+15557770009", to: account, platform: platform, id: id, at: at),
                                             as: RouterServiceTests.Answer.self)
        }
        #expect(try await route("c1", to: "+15550070021", platform: .whatsapp, at: "2026-11-30T15:01:00Z") == .init(owner: "u_sales", reason: "account"))
        #expect(try await route("c2", to: "+15550070022", platform: .twilio, at: "2026-11-30T15:02:00Z") == .init(owner: "u_sales", reason: "context_switch"))
        #expect(try await route("c3", to: "+15550070022", platform: .twilio, at: "2026-11-30T15:03:00Z") == .init(owner: "u_sales", reason: "kept"),
                "the context moved to the support account")
        let contact = try await mesh.routerClient.call("router.contact", ["location": "loc_s07b", "contact": "+15557770009"], as: ContactResponse.self)
        #expect(contact.contact.ownerAccount == "acc_support")
        try await eventually { mesh.notifier.items.values.compactMap(\.notification).count >= 3 }
        let kinds = mesh.notifier.items.values.compactMap(\.notification).map(\.kind)
        #expect(kinds == [.assigned, .message, .message], "the kept owner is told of the message, not assigned again: \(kinds)")
    }
}
