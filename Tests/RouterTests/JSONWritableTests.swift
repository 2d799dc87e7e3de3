import Foundation
import Testing
import SwitchboardCodec
import SwitchboardDomain
@testable import SwitchboardRouter

/// The hand-written JSON of every value the router writes per decision must say what
/// `JSONEncoder` says, and decode back to the same value.
@Suite struct JSONWritableTests {
    static let at = Date(timeIntervalSince1970: 1_796_000_000.25)
    static let awkward = "Ann \"the\" O'Neil\n\\ / é 🙂 \u{01}"

    private func expectSameAsEncoder<T: JSONWritable & Codable & Equatable>(_ value: T) throws {
        let written = value.jsonBytes
        #expect(try WireJSON.decode(JSONValue.self, from: written) == WireJSON.decode(JSONValue.self, from: WireJSON.encode(value)))
        #expect(try WireJSON.decode(T.self, from: written) == value)
    }

    @Test func contactStatesWithEveryFieldOrNoneWriteWhatTheEncoderWrites() throws {
        var full = ContactState(location: "loc", address: "+15550001111")
        full.name = Self.awkward
        full.owner = "u_a"
        full.ownerAccount = "acc_wa"
        full.manual = true
        full.open = false
        full.tags = ["vip", "es"]
        full.firstSource = MessageSource(type: "ad", id: "120", campaign: "Spring")
        full.lastAccount = "acc_sms"
        full.lastText = Self.awkward
        full.lastSource = MessageSource(type: "ad")
        full.lastPlatform = .whatsapp
        full.threads = ["acc_sms": "u_b", "acc_wa": "u_a"]
        full.ownerHistory = ["u_c", "u_a"]
        try expectSameAsEncoder(full)
        try expectSameAsEncoder(ContactState(location: "loc", address: "ann@example.com"))
    }

    @Test func tracesRotationsAndAnswersWriteWhatTheEncoderWrites() throws {
        let trace = DecisionTrace(
            event: "inbound", steps: ["Account Sales: target team t_sales."], rules: ["Rule r1: text does not contain \"price\"."],
            targets: [TraceTarget(role: "target", target: "team t_sales (round_robin)", candidates: [
                TraceCandidate(user: "u_a", eligible: true, reasons: []),
                TraceCandidate(user: "u_b", eligible: false, reasons: ["away", "off shift (18:40 in America/Los_Angeles)"]),
            ], pick: "Picked u_a after u_c.")])
        try expectSameAsEncoder(trace)
        try expectSameAsEncoder(DecisionTrace(event: "tag"))
        try expectSameAsEncoder(RotationState(lastPicked: "u_a", totals: ["u_a": -2, "u_b": 1]))
        try expectSameAsEncoder(RotationState())
        try expectSameAsEncoder(RouteAnswer(contact: "+15550001111", owner: "u_a", reason: .account, user: "u_a"))
        try expectSameAsEncoder(RouteAnswer(contact: "+15550001111", owner: nil, reason: .queued, user: nil))
    }

    @Test func inboundMessagesAndOutboxItemsWriteWhatTheEncoderWrites() throws {
        try expectSameAsEncoder(InboundMessage(
            provider: "whatsapp", messageId: "wamid.1", platform: .whatsapp, account: "+15550002222", contact: "+15550001111",
            contactName: Self.awkward, text: Self.awkward, mediaCount: 2, source: MessageSource(type: "ad", id: "9", campaign: "Fall"), at: Self.at))
        try expectSameAsEncoder(InboundMessage(provider: "twilio", messageId: "SM1", platform: .twilio, account: "+1", contact: "+2", text: "", at: Self.at))
        try expectSameAsEncoder(OutboxItem(id: "whatsapp:wamid.1:0", notification: UserNotification(
            recipient: "u_a", recipientName: "Alice", channels: [NotifyChannel(channel: .webhook, url: "https://hooks.example.com/a?b=c"), NotifyChannel(channel: .file, path: "/tmp/n.jsonl")],
            kind: .assigned, location: "loc", contact: "+15550001111", contactName: Self.awkward, account: "+15550002222", accountName: "Sales",
            platform: .whatsapp, at: Self.at, summary: Self.awkward)))
        try expectSameAsEncoder(OutboxItem(id: "n", notification: UserNotification(
            recipient: "u_a", channels: [], kind: .queued, location: "loc", contact: "+1", account: "+2", at: Self.at, summary: "s")))
        try expectSameAsEncoder(OutboxItem(id: "whatsapp:wamid.1:crm", crm: CRMUpdate(
            location: "loc", contact: "+15550001111", contactName: "Ann", assignedTo: "u_a", tags: ["vip"], sequence: 42)))
        try expectSameAsEncoder(OutboxItem(id: "c", crm: CRMUpdate(location: "loc", contact: "+1", assignedTo: nil, tags: [], sequence: 0)))
    }
}
