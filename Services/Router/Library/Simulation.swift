import Foundation
public import SwitchboardDomain

/// `router.simulate`: replays a window of the location's events, in time order, through the
/// pure routing core with a proposed configuration, against a scratch in-memory world (nothing
/// real changes, no effect leaves), and compares with what actually happened.
///
/// Every contact event is replayed: messages, and between them the tags, manual assignments,
/// releases, unassigns, resolves and drains people made, so loads and capacity run as they
/// did. The scratch world starts empty and takes its directory from the proposed
/// configuration's users and teams (their status as configured, not as it was at each
/// message); an event about a contact the window has not seen yet is skipped. Identical
/// configuration and directory reproduce every automatic decision.
///
/// What the router does as time passes is worked out again for the proposed configuration:
/// reply deadlines fire at their due times between the events, and queued contacts are offered
/// after every event that may free capacity. (The router also offers them on a timer, which catches a
/// user back from away; the replay does not see directory changes, so it does not.)
public enum Simulation {
    /// One event of the window.
    public enum Event: Sendable {
        /// An inbound message, with the user it actually went to.
        case message(InboundMessage, actual: String?)
        case contact(LoggedContactEvent)

        var at: Date {
            switch self {
            case .message(let message, _): message.at
            case .contact(let logged): logged.at
            }
        }
    }

    public typealias Report = SimulationReport

    public static func run(config: LocationConfig, events: [Event], examples: Int = 5) async throws -> Report {
        let started = Date()
        let world = try MemoryRoutingWorld(config: config)
        let engine = try RoutingEngine(config: config, world: world)
        var report = Report()
        var changed = Set<String>()
        /// Counts the decisions made of themselves (a deadline fired, a queued contact taken).
        func noteTimed(_ decisions: [Decision]) {
            for decision in decisions where decision.recorded && [.slaReassigned, .slaEscalated, .dequeued].contains(decision.reason) {
                report.timed[decision.reason.rawValue, default: 0] += 1
            }
        }
        for event in events {
            // What the router's timers did between the events, worked out for this configuration.
            noteTimed(try world.fireDeadlines(upTo: event.at, engine: engine))
            switch event {
            case .message(let message, let actualUser):
                report.events += 1
                if let actualUser { report.actual[actualUser, default: 0] += 1 }
                guard let account = config.account(platform: message.platform, address: message.account) else {
                    report.skipped += 1
                    continue
                }
                let decisions = try world.handle(.inbound(message, account: account), contact: message.contact, at: message.at, engine: engine)
                let decision = decisions[0]
                if let user = decision.user { report.simulated[user, default: 0] += 1 }
                if decision.user == actualUser {
                    report.reproduced += 1
                } else if changed.insert(message.contact).inserted, report.firstChanges.count < examples {
                    report.firstChanges.append(SimulationReport.Change(
                        contact: message.contact, at: message.at, actual: actualUser, simulated: decision.user,
                        explanation: [decision.trace.event] + decision.trace.sentences))
                }
            case .contact(let logged):
                guard let event = logged.contactEvent, logged.contact.map({ world.contact($0) != nil }) ?? true else {
                    report.skipped += 1
                    continue
                }
                report.contactEvents += 1
                noteTimed(try world.handle(event, contact: logged.contact, at: logged.at, engine: engine))
            }
        }
        report.changedContacts = changed.count
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
