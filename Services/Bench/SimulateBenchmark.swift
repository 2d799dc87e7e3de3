import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRouter

/// How long `simulate` takes to replay 100,000 stored inbound messages through the routing core.
struct SimulateBenchmark {
    func run() async throws {
        let config = try WireJSON.decoder.decode(LocationConfig.self, from: Data("""
            {"version": 1, "location": {"id": "loc", "name": "L", "timezone": "America/New_York", "admins": ["u0"],
               "businessHours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"], "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"]}},
             "users": [\((0..<20).map { "{\"id\": \"u\($0)\", \"name\": \"U\($0)\", \"maxOpen\": 5000}" }.joined(separator: ","))],
             "teams": [{"id": "t", "name": "T", "lead": "u0", "members": [\((0..<10).map { "\"u\($0)\"" }.joined(separator: ","))]}],
             "accounts": [
               {"id": "wa", "name": "WA", "platform": "whatsapp", "address": "+15550000001",
                "assignment": {"target": {"team": "t", "mode": "round_robin"}, "afterHours": {"user": "u19"}}},
               {"id": "tw", "name": "TW", "platform": "twilio", "address": "+15550000002",
                "assignment": {"target": {"pool": ["u10", "u11", "u12"], "mode": "weighted", "weights": {"u10": 3}}}},
               {"id": "im", "name": "IM", "platform": "imessage", "address": "+15550000003",
                "assignment": {"target": {"team": "t", "mode": "least_loaded"}}}],
             "rules": [{"id": "refund", "priority": 1, "when": {"text": "refund"}, "then": {"target": {"user": "u18"}}}]}
            """.utf8))
        let start = RFC3339.parse("2026-11-02T00:00:00Z")!
        let accounts: [(Platform, String)] = [(.whatsapp, "+15550000001"), (.twilio, "+15550000002"), (.imessage, "+15550000003")]
        let events = (0..<100_000).map { index -> Simulation.Event in
            let (platform, address) = accounts[index % 3]
            return .message(InboundMessage(provider: platform.rawValue, messageId: "m\(index)", platform: platform, account: address,
                                           contact: "+1556\(String(format: "%07d", index % 20_000))", text: index % 17 == 0 ? "refund" : "hello",
                                           at: start.addingTimeInterval(Double(index) * 6)), actual: nil)
        }
        let report = try await Simulation.run(config: config, events: events)
        print(String(format: "simulate: %d stored messages replayed in %.2f s (target < 10 s)", report.events, report.seconds))
    }
}
