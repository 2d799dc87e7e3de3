public import Foundation
public import SwitchboardCodec

/// Expands a target into candidates with their eligibility (`ROUTING.md`, "Eligibility"): the
/// rule `directory.resolve` applies, shared with every in-memory view of a directory (the
/// router's `simulate`, engine tests) so there is one definition of who is eligible.
public struct CandidateExpansion: Sendable {
    public var location: String
    public var locationZone: String
    public var users: [String: DirectoryUser]
    public var members: Set<String>
    public var teams: [String: Team]
    public var schedules: [String: Schedule]
    public var zones: [String: TimeZone]

    public init(
        location: String, locationZone: String, users: [String: DirectoryUser], members: Set<String>, teams: [String: Team],
        schedules: [String: Schedule], zones: [String: TimeZone] = [:]
    ) {
        self.location = location
        self.locationZone = locationZone
        self.users = users
        self.members = members
        self.teams = teams
        self.schedules = schedules
        self.zones = zones
    }

    /// The candidates of `target` in rotation order at `instant`.
    public func candidates(_ target: Target, at instant: Date) throws(WireError) -> [Candidate] {
        let ids: [(id: String, weight: Int)]
        switch target {
        case .user(let id):
            guard users[id] != nil else { throw WireError.notFound("no user \(id)") }
            ids = [(id, 1)]
        case .team(let teamID, let mode):
            let team = try team(teamID)
            if mode == .lead {
                guard let lead = team.lead else { throw WireError.notFound("team \(teamID) has no lead") }
                ids = [(lead, 1)]
            } else {
                ids = team.members.map { ($0, 1) }
            }
        case .pool(let pool, _, let weights):
            for id in pool where users[id] == nil { throw WireError.notFound("no user \(id)") }
            ids = pool.map { ($0, weights[$0] ?? 1) }
        case .queue(let teamID):
            let team = try team(teamID)
            var ordered = team.lead.map { [$0] } ?? []
            for member in team.members where !ordered.contains(member) { ordered.append(member) }
            ids = ordered.map { ($0, 1) }
        case .previousOwner, .none:
            throw WireError.badRequest("target: \(target.summary) is decided by the router, not expanded by the directory")
        }
        // One conversion per zone, not per person: a team usually shares one or two.
        var localTimes: [String: (time: LocalTime, text: String)] = [:]
        return ids.compactMap { entry -> Candidate? in
            guard let user = users[entry.id] else { return nil }
            let zoneName = user.timezone ?? locationZone
            let (local, localTime) = localTimes[zoneName] ?? {
                let zone = zones[zoneName] ?? TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC")!
                let local = LocalTime(instant, in: zone)
                let entry = (time: local, text: local.description)
                localTimes[zoneName] = entry
                return entry
            }()
            var reasons: [Ineligibility] = []
            if !user.active { reasons.append(Ineligibility(code: .inactive, detail: user.removed ? "removed" : "inactive")) }
            if !user.assignable { reasons.append(Ineligibility(code: .notAssignable, detail: "not assignable")) }
            if user.away { reasons.append(Ineligibility(code: .away, detail: "away")) }
            if !members.contains(user.id) { reasons.append(Ineligibility(code: .notMember, detail: "not a member of \(location)")) }
            if let schedule = schedules[user.id], !schedule.isOpen(at: local) {
                reasons.append(Ineligibility(code: .offShift, detail: "off shift (\(localTime) in \(zoneName))"))
            }
            return Candidate(
                id: user.id, name: user.name, weight: entry.weight, maxOpen: user.maxOpen, notify: user.notify,
                timezone: zoneName, localTime: localTime, reasons: reasons, skills: user.skills)
        }
    }

    private func team(_ id: String) throws(WireError) -> Team {
        guard let team = teams[id] else { throw WireError.notFound("no team \(id) in \(location)") }
        return team
    }
}
