import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// Everything the directory knows, as one immutable value: readers take a snapshot, writers
/// compute the next one (with the rows that changed) and publish it after the commit.
///
/// Every mutation validates first and changes nothing when it fails (`WireError` naming the
/// field). A mutation that changes nothing leaves the version as it was, so applying the same
/// configuration twice is a no-op.
public struct DirectoryState: Sendable {
    public private(set) var version = 0
    private(set) var users: [String: DirectoryUser] = [:]
    /// Location → its members.
    private(set) var members: [String: Set<String>] = [:]
    /// Location → default time zone.
    private(set) var timezones: [String: String] = [:]
    /// Location → team id → team.
    private(set) var teams: [String: [String: Team]] = [:]
    /// User id → parsed schedule (absent: always on shift).
    private var schedules: [String: Schedule] = [:]
    /// Zones by identifier, looked up once (a `TimeZone` lookup costs more than a schedule check).
    private var zones: [String: TimeZone] = [:]

    /// A row to write for a mutation.
    enum Change: Sendable {
        case user(DirectoryUser)
        case membership(location: String, user: String, member: Bool)
        case team(location: String, Team)
        case removeTeam(location: String, id: String)
        case location(String, timezone: String)
    }

    public init() {}

    init(users: [DirectoryUser], members: [String: Set<String>], timezones: [String: String], teams: [String: [String: Team]], version: Int) throws {
        self.version = version
        self.members = members
        self.timezones = timezones
        self.teams = teams
        for zone in timezones.values { cacheZone(zone) }
        for user in users {
            if let zone = user.timezone { cacheZone(zone) }
            self.users[user.id] = user
            if let days = user.schedule { schedules[user.id] = try Schedule(days: days) }
        }
    }

    // MARK: Reads

    func user(_ id: String) throws(WireError) -> DirectoryUser {
        guard var user = users[id] else { throw WireError.notFound("no user \(id)") }
        user.locations = members.filter { $0.value.contains(id) }.map(\.key).sorted()
        return user
    }

    func users(in location: String) -> [DirectoryUser] {
        (members[location] ?? []).sorted().compactMap { try? user($0) }
    }

    func teams(in location: String) -> [Team] {
        (teams[location] ?? [:]).values.sorted { $0.id < $1.id }
    }

    // MARK: Mutations

    mutating func putUsers(_ request: PutUsersRequest) throws(WireError) -> [Change] {
        var changes: [Change] = []
        if let timezone = request.timezone {
            try validateZone(timezone, field: "timezone")
            if timezones[request.location] != timezone {
                timezones[request.location] = timezone
                cacheZone(timezone)
                changes.append(.location(request.location, timezone: timezone))
            }
        } else if timezones[request.location] == nil {
            throw WireError.badRequest("timezone is required the first time location \(request.location) is written")
        }
        var seen = Set<String>()
        for (index, incoming) in request.users.enumerated() {
            guard seen.insert(incoming.id).inserted else { throw WireError.badRequest("users[\(index)].id: duplicate id \(incoming.id)") }
            var user = incoming
            user.locations = []
            user.removed = false
            try validate(user, field: "users[\(index)]")
            if stored(users[user.id]) != user {
                if let zone = user.timezone { cacheZone(zone) }
                users[user.id] = user
                schedules[user.id] = try user.schedule.map { days throws(WireError) in try parseSchedule(days, field: "users[\(index)].schedule") }
                changes.append(.user(user))
            }
            if members[request.location]?.contains(user.id) != true {
                members[request.location, default: []].insert(user.id)
                changes.append(.membership(location: request.location, user: user.id, member: true))
            }
        }
        if request.replace == true {
            for id in (members[request.location] ?? []).subtracting(seen).sorted() {
                members[request.location]?.remove(id)
                changes.append(.membership(location: request.location, user: id, member: false))
            }
        }
        if !changes.isEmpty { version += 1 }
        return changes
    }

    mutating func putTeams(_ request: PutTeamsRequest) throws(WireError) -> [Change] {
        guard members[request.location] != nil || timezones[request.location] != nil else {
            throw WireError.notFound("unknown location \(request.location); put its users first")
        }
        var changes: [Change] = []
        var seen = Set<String>()
        for (index, team) in request.teams.enumerated() {
            let field = "teams[\(index)]"
            guard seen.insert(team.id).inserted else { throw WireError.badRequest("\(field).id: duplicate id \(team.id)") }
            if let lead = team.lead { try requireMember(lead, of: request.location, field: "\(field).lead") }
            for (memberIndex, member) in team.members.enumerated() {
                try requireMember(member, of: request.location, field: "\(field).members[\(memberIndex)]")
            }
            guard Set(team.members).count == team.members.count else { throw WireError.badRequest("\(field).members: a user is listed twice") }
            if teams[request.location]?[team.id] != team {
                teams[request.location, default: [:]][team.id] = team
                changes.append(.team(location: request.location, team))
            }
        }
        if request.replace == true {
            for id in Set(teams[request.location]?.keys.map { $0 } ?? []).subtracting(seen).sorted() {
                teams[request.location]?.removeValue(forKey: id)
                changes.append(.removeTeam(location: request.location, id: id))
            }
        }
        if !changes.isEmpty { version += 1 }
        return changes
    }

    mutating func updateUser(_ request: UpdateUserRequest) throws(WireError) -> [Change] {
        guard var user = users[request.id] else { throw WireError.notFound("no user \(request.id)") }
        let patch = request.set
        if let active = patch.active { user.active = active }
        if let away = patch.away { user.away = away }
        if let assignable = patch.assignable { user.assignable = assignable }
        switch patch.maxOpen {
        case .unchanged: break
        case .clear: user.maxOpen = nil
        case .set(let value): user.maxOpen = value
        }
        switch patch.schedule {
        case .unchanged: break
        case .clear: user.schedule = nil
        case .set(let value): user.schedule = value
        }
        switch patch.timezone {
        case .unchanged: break
        case .clear: user.timezone = nil
        case .set(let value): user.timezone = value
        }
        if let notify = patch.notify { user.notify = notify }
        try validate(user, field: "set")
        return replaceUser(user)
    }

    mutating func removeUser(_ id: String) throws(WireError) -> [Change] {
        guard var user = users[id] else { throw WireError.notFound("no user \(id)") }
        user.active = false
        user.removed = true
        return replaceUser(user)
    }

    /// The locations the directory has a time zone for, sorted.
    var locations: [String] { timezones.keys.sorted() }

    /// Upserts GoHighLevel users into `location` (its `GET /users/` answer): `deleted` users, and
    /// users an earlier sync took that the list no longer has, become inactive; a user without
    /// access to contacts or conversations (`permissions.contactsEnabled` /
    /// `conversationsEnabled` false) is not assignable; the fields Switchboard owns (schedule,
    /// capacity, skills, channels, away) are kept as they were. Users configured by hand (not
    /// `crmSynced`) are left alone.
    mutating func importGHL(_ request: ImportGHLRequest) throws(WireError) -> [Change] {
        guard timezones[request.location] != nil else {
            throw WireError.notFound("unknown location \(request.location); apply its configuration (with a time zone) first")
        }
        var changes: [Change] = []
        var listed = Set<String>()
        for ghlUser in request.response.users {
            listed.insert(ghlUser.id)
            var user = users[ghlUser.id] ?? DirectoryUser(id: ghlUser.id, name: ghlUser.displayName)
            user.name = ghlUser.displayName
            user.email = ghlUser.email ?? user.email
            user.phone = ghlUser.phone ?? user.phone
            user.active = !(ghlUser.deleted ?? false)
            user.assignable = ghlUser.canWorkContacts
            user.crmSynced = true
            user.locations = []
            if stored(users[user.id]) != user {
                users[user.id] = user
                changes.append(.user(user))
            }
            if members[request.location]?.contains(user.id) != true {
                members[request.location, default: []].insert(user.id)
                changes.append(.membership(location: request.location, user: user.id, member: true))
            }
        }
        for id in (members[request.location] ?? []).subtracting(listed).sorted() {
            guard var user = users[id], user.crmSynced == true, user.active else { continue }
            user.active = false
            user.locations = []
            users[id] = user
            changes.append(.user(user))
        }
        if !changes.isEmpty { version += 1 }
        return changes
    }

    private mutating func cacheZone(_ identifier: String) {
        if zones[identifier] == nil, let zone = TimeZone(identifier: identifier) { zones[identifier] = zone }
    }

    private mutating func replaceUser(_ user: DirectoryUser) -> [Change] {
        guard stored(users[user.id]) != user else { return [] }
        if let zone = user.timezone { cacheZone(zone) }
        users[user.id] = user
        schedules[user.id] = user.schedule.flatMap { try? Schedule(days: $0) }
        version += 1
        return [.user(user)]
    }

    private func stored(_ user: DirectoryUser?) -> DirectoryUser? {
        guard var user else { return nil }
        user.locations = []
        return user
    }

    // MARK: Resolve

    /// Everything about `location`, users from every location they belong to included.
    func snapshot(location: String) throws(WireError) -> DirectorySnapshot {
        guard let zone = timezones[location] else { throw WireError.notFound("unknown location \(location)") }
        let memberIDs = members[location] ?? []
        var referenced = memberIDs
        for team in (teams[location] ?? [:]).values {
            referenced.formUnion(team.members)
            if let lead = team.lead { referenced.insert(lead) }
        }
        return DirectorySnapshot(
            version: version, location: location, timezone: zone, users: referenced.sorted().compactMap { users[$0] },
            members: memberIDs.sorted(), teams: (teams[location] ?? [:]).values.sorted { $0.id < $1.id })
    }

    /// Expands `target` into candidates in rotation order with their eligibility at `instant`.
    func resolve(location: String, target: Target, at instant: Date) throws(WireError) -> ResolveResponse {
        guard let locationZone = timezones[location] else { throw WireError.notFound("unknown location \(location)") }
        let expansion = CandidateExpansion(
            location: location, locationZone: locationZone, users: users, members: members[location] ?? [],
            teams: teams[location] ?? [:], schedules: schedules, zones: zones)
        return ResolveResponse(version: version, candidates: try expansion.candidates(target, at: instant))
    }

    // MARK: Validation

    private func validate(_ user: DirectoryUser, field: String) throws(WireError) {
        guard !user.id.isEmpty else { throw WireError.badRequest("\(field).id: must not be empty") }
        if let zone = user.timezone { try validateZone(zone, field: "\(field).timezone") }
        if let days = user.schedule { _ = try parseSchedule(days, field: "\(field).schedule") }
        if let maxOpen = user.maxOpen, maxOpen < 0 { throw WireError.badRequest("\(field).maxOpen: must not be negative") }
        for (index, channel) in user.notify.enumerated() {
            let place = "\(field).notify[\(index)]"
            switch channel.channel {
            case .webhook, .slack:
                guard let url = channel.url, let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http" else {
                    throw WireError.badRequest("\(place).url: a \(channel.channel.rawValue) channel needs an http(s) url")
                }
            case .file:
                guard let path = channel.path, !path.isEmpty else { throw WireError.badRequest("\(place).path: a file channel needs a path") }
            }
        }
    }

    private func validateZone(_ identifier: String, field: String) throws(WireError) {
        do {
            _ = try TimeZones.named(identifier)
        } catch {
            throw WireError.badRequest("\(field): \(error.description)")
        }
    }

    private func parseSchedule(_ days: [String: [String]], field: String) throws(WireError) -> Schedule {
        do {
            return try Schedule(days: days)
        } catch {
            throw WireError.badRequest("\(field): \(error.description)")
        }
    }

    private func requireMember(_ id: String, of location: String, field: String) throws(WireError) {
        guard users[id] != nil else { throw WireError.badRequest("\(field): unknown user \(id)") }
        guard members[location]?.contains(id) == true else { throw WireError.badRequest("\(field): user \(id) is not a member of \(location)") }
    }
}
