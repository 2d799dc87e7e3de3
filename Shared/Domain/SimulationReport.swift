public import Foundation

/// What `router.simulate` found: messages handled per user, actual against simulated, and the
/// first contacts that would change hands.
public struct SimulationReport: Codable, Sendable {
    public struct Change: Codable, Sendable {
        public var contact: String
        public var at: Date
        public var actual: String?
        public var simulated: String?
        public var explanation: [String]

        public init(contact: String, at: Date, actual: String?, simulated: String?, explanation: [String]) {
            self.contact = contact
            self.at = at
            self.actual = actual
            self.simulated = simulated
            self.explanation = explanation
        }

        enum CodingKeys: String, CodingKey { case contact, at, actual, simulated, explanation }
    }

    /// Messages replayed.
    public var events = 0
    /// Messages to an account the proposed configuration lacks, and contact events about a
    /// contact not seen yet.
    public var skipped = 0
    /// Messages whose simulated user is the actual one.
    public var reproduced = 0
    /// Messages handled per user (assigned to them or kept by them), as it happened.
    public var actual: [String: Int] = [:]
    /// The same, as the proposed configuration would have it.
    public var simulated: [String: Int] = [:]
    /// Contacts whose user would change on at least one message.
    public var changedContacts = 0
    public var firstChanges: [Change] = []
    /// Contact events other than messages replayed.
    public var contactEvents = 0
    /// Decisions the proposed configuration makes of itself as time passes, by reason
    /// (`sla_reassigned`, `sla_escalated`, `dequeued`).
    public var timed: [String: Int] = [:]
    public var seconds = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case events, skipped, reproduced, actual, simulated, changedContacts, firstChanges, contactEvents, timed, seconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        events = try container.decode(Int.self, forKey: .events)
        skipped = try container.decode(Int.self, forKey: .skipped)
        reproduced = try container.decode(Int.self, forKey: .reproduced)
        actual = try container.decode([String: Int].self, forKey: .actual)
        simulated = try container.decode([String: Int].self, forKey: .simulated)
        changedContacts = try container.decode(Int.self, forKey: .changedContacts)
        firstChanges = try container.decode([Change].self, forKey: .firstChanges)
        contactEvents = try container.decode(Int.self, forKey: .contactEvents)
        timed = try container.decodeIfPresent([String: Int].self, forKey: .timed) ?? [:]
        seconds = try container.decode(Double.self, forKey: .seconds)
    }
}
