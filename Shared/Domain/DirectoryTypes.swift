public import Foundation
import SwitchboardCodec

/// A delivery channel for a user's notifications (`CONFIG.md`, `users[].notify`).
public struct NotifyChannel: Codable, Sendable, Equatable, Hashable {
    public var channel: ChannelKind
    public var url: String?
    public var path: String?

    public init(channel: ChannelKind, url: String? = nil, path: String? = nil) {
        self.channel = channel
        self.url = url
        self.path = path
    }

    enum CodingKeys: String, CodingKey { case channel, url, path }
}

/// A team member as the directory knows them: identity, status, shift, capacity, channels.
///
/// `id` is the CRM user id. Defaults follow `CONFIG.md`: active, assignable, not away, always on
/// shift, no capacity limit.
public struct DirectoryUser: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String?
    public var phone: String?
    public var active: Bool
    public var assignable: Bool
    public var away: Bool
    /// IANA zone; nil means the location's.
    public var timezone: String?
    /// `{"mon": ["08:00-16:00"], …}`; nil means always on shift.
    public var schedule: [String: [String]]?
    public var maxOpen: Int?
    public var skills: [String]
    public var notify: [NotifyChannel]
    /// Locations the user belongs to (filled by the directory on reads).
    public var locations: [String]
    /// Removed with `directory.remove_user`: kept, inactive, so history stays readable.
    public var removed: Bool
    /// True for a user the directory took from GoHighLevel's user list (`directory.import_ghl_users`):
    /// one missing from a later list was removed there and becomes inactive. Nil for users
    /// configured by hand, which a sync leaves alone.
    public var crmSynced: Bool?

    public init(
        id: String, name: String, email: String? = nil, phone: String? = nil, active: Bool = true, assignable: Bool = true,
        away: Bool = false, timezone: String? = nil, schedule: [String: [String]]? = nil, maxOpen: Int? = nil,
        skills: [String] = [], notify: [NotifyChannel] = [], locations: [String] = [], removed: Bool = false
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
        self.active = active
        self.assignable = assignable
        self.away = away
        self.timezone = timezone
        self.schedule = schedule
        self.maxOpen = maxOpen
        self.skills = skills
        self.notify = notify
        self.locations = locations
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, phone, active, assignable, away, timezone, schedule, maxOpen, skills, notify, locations, removed, crmSynced
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? id
        email = try container.decodeIfPresent(String.self, forKey: .email)
        phone = try container.decodeIfPresent(String.self, forKey: .phone)
        active = try container.decodeIfPresent(Bool.self, forKey: .active) ?? true
        assignable = try container.decodeIfPresent(Bool.self, forKey: .assignable) ?? true
        away = try container.decodeIfPresent(Bool.self, forKey: .away) ?? false
        timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
        schedule = try container.decodeIfPresent([String: [String]].self, forKey: .schedule)
        maxOpen = try container.decodeIfPresent(Int.self, forKey: .maxOpen)
        skills = try container.decodeIfPresent([String].self, forKey: .skills) ?? []
        notify = try container.decodeIfPresent([NotifyChannel].self, forKey: .notify) ?? []
        locations = try container.decodeIfPresent([String].self, forKey: .locations) ?? []
        removed = try container.decodeIfPresent(Bool.self, forKey: .removed) ?? false
        crmSynced = try container.decodeIfPresent(Bool.self, forKey: .crmSynced)
    }
}

/// A team of a location: a lead and members in rotation order.
public struct Team: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var lead: String?
    public var members: [String]
    /// Whether contacts queued for the team are assigned by themselves, oldest first, as soon
    /// as a member can take one (`docs/routing.md`, "Queued contacts picked up"). Off, they wait
    /// for a person, as `ROUTING.md` has it.
    public var assignQueued: Bool

    public init(id: String, name: String, lead: String? = nil, members: [String] = [], assignQueued: Bool = false) {
        self.id = id
        self.name = name
        self.lead = lead
        self.members = members
        self.assignQueued = assignQueued
    }

    enum CodingKeys: String, CodingKey { case id, name, lead, members, assignQueued }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? id
        lead = try container.decodeIfPresent(String.self, forKey: .lead)
        members = try container.decodeIfPresent([String].self, forKey: .members) ?? []
        assignQueued = try container.decodeIfPresent(Bool.self, forKey: .assignQueued) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(lead, forKey: .lead)
        try container.encode(members, forKey: .members)
        if assignQueued { try container.encode(assignQueued, forKey: .assignQueued) }
    }
}

/// Why a candidate cannot take a new assignment now (`ROUTING.md`, "Eligibility").
public struct Ineligibility: Codable, Sendable, Equatable {
    public var code: IneligibilityCode
    /// For people: e.g. `off shift (18:40 in America/Los_Angeles)`.
    public var detail: String

    public init(code: IneligibilityCode, detail: String) {
        self.code = code
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey { case code, detail }
}

/// One user a target expands to, in rotation order, with everything the router needs to pick
/// and to notify.
public struct Candidate: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var weight: Int
    public var maxOpen: Int?
    public var notify: [NotifyChannel]
    public var timezone: String
    /// The user's wall-clock time at the instant asked about, `HH:MM`.
    public var localTime: String
    /// Every reason the user is not eligible; empty when eligible.
    public var reasons: [Ineligibility]
    /// The user's skills, for assignments that require some (`requireSkills`).
    public var skills: [String]

    public init(
        id: String, name: String, weight: Int, maxOpen: Int?, notify: [NotifyChannel], timezone: String, localTime: String,
        reasons: [Ineligibility], skills: [String] = []
    ) {
        self.id = id
        self.name = name
        self.weight = weight
        self.maxOpen = maxOpen
        self.notify = notify
        self.timezone = timezone
        self.localTime = localTime
        self.reasons = reasons
        self.skills = skills
    }

    enum CodingKeys: String, CodingKey { case id, name, weight, maxOpen, notify, timezone, localTime, reasons, skills }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        weight = try container.decode(Int.self, forKey: .weight)
        maxOpen = try container.decodeIfPresent(Int.self, forKey: .maxOpen)
        notify = try container.decode([NotifyChannel].self, forKey: .notify)
        timezone = try container.decode(String.self, forKey: .timezone)
        localTime = try container.decode(String.self, forKey: .localTime)
        reasons = try container.decode([Ineligibility].self, forKey: .reasons)
        skills = try container.decodeIfPresent([String].self, forKey: .skills) ?? []
    }

    /// Eligible on every count the directory knows (capacity is the router's to check).
    public var eligible: Bool { reasons.isEmpty }

    /// Eligible except, possibly, for being off shift (for assignments with `requireOnShift: false`).
    public var eligibleIgnoringShift: Bool { reasons.allSatisfy { $0.code == .offShift } }
}

/// `directory.resolve`: expand a target at an instant.
public struct ResolveRequest: Codable, Sendable, Equatable {
    public var location: String
    public var target: Target
    public var at: Date?

    public init(location: String, target: Target, at: Date?) {
        self.location = location
        self.target = target
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case location, target, at }
}

/// The candidates of a target, in rotation order, and the directory version they reflect.
public struct ResolveResponse: Codable, Sendable, Equatable {
    public var version: Int
    public var candidates: [Candidate]

    public init(version: Int, candidates: [Candidate]) {
        self.version = version
        self.candidates = candidates
    }

    enum CodingKeys: String, CodingKey { case version, candidates }
}

extension ResolveResponse {
    /// The same JSON that `JSONEncoder` writes, without its per-value overhead: `resolve` is on
    /// the router's path for every decision.
    public func encodedJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + candidates.count * 256)
        writer.beginObject()
        writer.key("version")
        writer.integer(version)
        writer.key("candidates")
        writer.beginArray()
        for candidate in candidates {
            writer.beginObject()
            writer.key("id"); writer.string(candidate.id)
            writer.key("name"); writer.string(candidate.name)
            writer.key("weight"); writer.integer(candidate.weight)
            if let maxOpen = candidate.maxOpen { writer.key("maxOpen"); writer.integer(maxOpen) }
            writer.key("notify")
            writer.beginArray()
            for channel in candidate.notify {
                writer.beginObject()
                writer.key("channel"); writer.string(channel.channel.rawValue)
                if let url = channel.url { writer.key("url"); writer.string(url) }
                if let path = channel.path { writer.key("path"); writer.string(path) }
                writer.endObject()
            }
            writer.endArray()
            writer.key("timezone"); writer.string(candidate.timezone)
            writer.key("localTime"); writer.string(candidate.localTime)
            writer.key("reasons")
            writer.beginArray()
            for reason in candidate.reasons {
                writer.beginObject()
                writer.key("code"); writer.string(reason.code.rawValue)
                writer.key("detail"); writer.string(reason.detail)
                writer.endObject()
            }
            writer.endArray()
            writer.key("skills")
            writer.beginArray()
            for skill in candidate.skills { writer.string(skill) }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}

/// `directory.snapshot`: everything the directory knows of one location, so a client (the
/// router) can expand targets itself with ``CandidateExpansion`` and refetch only when
/// `directory.changed` announces a newer version.
public struct DirectorySnapshot: Codable, Sendable {
    public var version: Int
    public var location: String
    public var timezone: String
    public var users: [DirectoryUser]
    public var members: [String]
    public var teams: [Team]

    public init(version: Int, location: String, timezone: String, users: [DirectoryUser], members: [String], teams: [Team]) {
        self.version = version
        self.location = location
        self.timezone = timezone
        self.users = users
        self.members = members
        self.teams = teams
    }

    enum CodingKeys: String, CodingKey { case version, location, timezone, users, members, teams }

    /// The expansion this snapshot allows.
    public func expansion() throws -> CandidateExpansion {
        var schedules: [String: Schedule] = [:]
        for user in users {
            if let days = user.schedule { schedules[user.id] = try Schedule(days: days) }
        }
        return CandidateExpansion(
            location: location, locationZone: timezone, users: Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            members: Set(members), teams: Dictionary(teams.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }), schedules: schedules)
    }
}
