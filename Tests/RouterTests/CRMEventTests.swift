import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardTestSupport
import Testing

/// `router.crm_event` over the real router and directory: what a person did in GoHighLevel
/// reaches routing, is never pushed back, and never undoes a newer decision.
@Suite(.serialized) struct CRMEventTests {
    typealias Mesh = RouterServiceTests.Mesh

    static func change(_ kind: CRMEvent.Kind, contact: String, user: String? = nil, tags: [String] = [], at: String) -> CRMEvent {
        CRMEvent(id: UUID().uuidString, kind: kind, location: "loc_s09", contact: contact, crmContactId: "ghl-\(contact)", tags: tags, user: user, at: RFC3339.parse(at)!)
    }

    static func send(_ mesh: Mesh, _ change: CRMEvent) async throws -> CRMEventAnswer {
        try await mesh.routerClient.call("router.crm_event", change, as: CRMEventAnswer.self)
    }

    @Test func aReassignmentInGoHighLevelIsKeptAndNotPushedBackButAnEchoOrAnOlderChangeIsIgnored() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, scenario: "09-tag-routing.json")
        _ = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+15559990001", to: "+15550090001", id: "m1", at: "2026-11-30T15:00:00Z"), as: JSONValue.self)

        let echo = try await Self.send(mesh, Self.change(.assigned, contact: "+15559990001", user: "u_1", at: "2026-11-30T15:00:05Z"))
        #expect(!echo.applied && echo.note.hasPrefix("no change"), "Switchboard's own write, echoed back")
        let older = try await Self.send(mesh, Self.change(.assigned, contact: "+15559990001", user: "u_es", at: "2026-11-30T14:59:00Z"))
        #expect(!older.applied && older.owner == "u_1", "a change from before the latest decision would undo it: \(older.note)")

        let itemsBefore = mesh.notifier.items.values.count
        let moved = try await Self.send(mesh, Self.change(.assigned, contact: "+15559990001", user: "u_es", at: "2026-11-30T15:10:00Z"))
        #expect(moved.applied && moved.owner == "u_es")
        let contact = try await mesh.routerClient.call("router.contact", ["location": "loc_s09", "contact": "+15559990001"], as: ContactResponse.self)
        #expect(contact.contact.owner == "u_es" && contact.contact.manual, "kept like a manual assignment")
        #expect(contact.history.last?.trace.event.contains("in GoHighLevel") == true)
        try await eventually { mesh.notifier.items.values.count > itemsBefore }
        let pushed = mesh.notifier.items.values.dropFirst(itemsBefore).compactMap(\.crm)
        #expect(pushed.isEmpty, "the CRM already has it: nothing is pushed back (\(pushed))")

        // The next message keeps the owner set in GoHighLevel.
        let next = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+15559990001", to: "+15550090001", id: "m2", at: "2026-11-30T15:20:00Z"), as: RouterServiceTests.Answer.self)
        #expect(next.owner == "u_es")
    }

    @Test func aTagAddedInGoHighLevelRoutesTheContactAndADeletedContactIsResolved() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, scenario: "09-tag-routing.json")
        // The Leads account assigns no one: tag routing decides an unowned contact (ROUTING.md).
        _ = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+15559990002", to: "+15550090002", platform: .imessage, id: "m1", at: "2026-11-30T15:00:00Z"),
            as: JSONValue.self)
        let tagged = try await Self.send(mesh, Self.change(.tagged, contact: "+15559990002", tags: ["vip"], at: "2026-11-30T15:05:00Z"))
        #expect(tagged.applied && tagged.owner == "u_vip", "\(tagged)")
        let again = try await Self.send(mesh, Self.change(.tagged, contact: "+15559990002", tags: ["vip"], at: "2026-11-30T15:06:00Z"))
        #expect(!again.applied && again.note == "no new tag")

        let deleted = try await Self.send(mesh, Self.change(.deleted, contact: "+15559990002", at: "2026-11-30T15:07:00Z"))
        #expect(deleted.applied)
        let contact = try await mesh.routerClient.call("router.contact", ["location": "loc_s09", "contact": "+15559990002"], as: ContactResponse.self)
        #expect(!contact.contact.open)

        let stranger = try await Self.send(mesh, Self.change(.assigned, contact: "+15559990099", user: "u_1", at: "2026-11-30T15:08:00Z"))
        #expect(!stranger.applied && stranger.note == "a contact routing has not seen")
    }

    @Test func goHighLevelsAttributionFeedsTheSourceRuleOfANewContactsFirstMessage() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await RouterServiceTests.start(folder, scenario: "06-conditional-rules.json")
        var attributed = Self.change(.attributed, contact: "+15559990050", at: "2026-11-30T14:00:00Z")
        attributed.location = "loc_s06"
        attributed.source = MessageSource(type: "ad", campaign: "Spring")
        #expect(try await Self.send(mesh, attributed).applied)
        let fromAd = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+15559990050", to: "+15550060001", id: "m1", at: "2026-11-30T15:00:00Z"), as: RouterServiceTests.Answer.self)
        #expect(fromAd == RouterServiceTests.Answer(owner: "u_senior", reason: "rule"), "rule r_ads matches the attributed source")
        let unattributed = try await mesh.routerClient.call(
            "router.route", RouterServiceTests.message("+15559990051", to: "+15550060001", id: "m2", at: "2026-11-30T15:01:00Z"), as: RouterServiceTests.Answer.self)
        #expect(unattributed.owner != "u_senior" && unattributed.reason == "account")
        let contact = try await mesh.routerClient.call("router.contact", ["location": "loc_s06", "contact": "+15559990050"], as: ContactResponse.self)
        #expect(contact.contact.firstSource == MessageSource(type: "ad", campaign: "Spring"))
    }
}
