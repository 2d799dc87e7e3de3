import Foundation
import SwitchboardDomain

/// `router.simulate`: replays stored inbound messages, in time order, through the pure routing
/// core with a proposed configuration, against a scratch in-memory world (nothing real changes,
/// no effect leaves), and compares with what actually happened.
///
/// The scratch world starts empty and takes its directory from the proposed configuration's
/// users and teams (their status as configured, not as it was at each message); manual
/// assignments, tags and resolves are not replayed. Identical configuration and directory
/// reproduce every automatic decision.
public enum Simulation {
    public struct Report: Codable, Sendable {
        public struct Change: Codable, Sendable {
            public var contact: String
            public var at: Date
            public var actual: String?
            public var simulated: String?
            public var explanation: [String]
            enum CodingKeys: String, CodingKey { case contact, at, actual, simulated, explanation }
        }

        public var events: Int
        public var skipped: Int
        /// Messages whose simulated user is the actual one.
        public var reproduced: Int
        /// Messages handled per user (assigned to them or kept by them), as it happened.
        public var actual: [String: Int]
        /// The same, as the proposed configuration would have it.
        public var simulated: [String: Int]
        /// Contacts whose user would change on at least one message.
        public var changedContacts: Int
        public var firstChanges: [Change]
        public var seconds: Double
        enum CodingKeys: String, CodingKey { case events, skipped, reproduced, actual, simulated, changedContacts, firstChanges, seconds }
    }

    public static func run(config: LocationConfig, events: [(InboundMessage, String?)], examples: Int = 5) async throws -> Report {
        let started = Date()
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        var report = Report(events: events.count, skipped: 0, reproduced: 0, actual: [:], simulated: [:], changedContacts: 0, firstChanges: [], seconds: 0)
        var changed = Set<String>()
        for (message, actualUser) in events {
            if let actualUser { report.actual[actualUser, default: 0] += 1 }
            guard let account = config.account(platform: message.platform, address: message.account) else {
                report.skipped += 1
                continue
            }
            let decision = try engine.inbound(message, account: account, contact: world.contact(message.contact))
            world.commit(decision, at: message.at)
            if let user = decision.user { report.simulated[user, default: 0] += 1 }
            if decision.user == actualUser {
                report.reproduced += 1
            } else if changed.insert(message.contact).inserted, report.firstChanges.count < examples {
                report.firstChanges.append(Report.Change(
                    contact: message.contact, at: message.at, actual: actualUser, simulated: decision.user,
                    explanation: [decision.trace.event] + decision.trace.sentences))
            }
        }
        report.changedContacts = changed.count
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
