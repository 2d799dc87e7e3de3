import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// An account's Assignment as the form edits it, and back.
///
/// A target is one `<select>` whose values spell it out: `user:ID`, `team:ID:MODE`,
/// `queue:TEAM`, `none`, or `pool` (then the pool's members, mode and weights come from their
/// own fields). The backup chain is up to three such selects; an empty one ends it.
struct AssignmentForm: Equatable {
    static let backupSlots = 3

    /// The target choice; empty: the account has no assignment.
    var target = ""
    var poolMembers: [String] = []
    var poolMode = Target.Mode.roundRobin.rawValue
    /// User → weight as typed.
    var weights: [String: String] = [:]
    var backups: [String] = Array(repeating: "", count: backupSlots)
    var afterHours = ""
    var requireOnShift = true
    /// Skills every candidate must have, as typed: comma-separated.
    var requireSkills = ""
    /// The reply window as typed (`15m`); empty: none.
    var replyWithin = ""
    var replyClock = ReplyClock.wall.rawValue
    var maxReassignments = String(Assignment.defaultMaxReassignments)

    init(_ assignment: Assignment?) {
        guard let assignment else { return }
        target = Self.choice(assignment.target)
        if case .pool(let members, let mode, let weights) = assignment.target {
            poolMembers = members
            poolMode = mode.rawValue
            self.weights = weights.mapValues(String.init)
        }
        for (index, backup) in assignment.backup.prefix(Self.backupSlots).enumerated() { backups[index] = Self.choice(backup) }
        afterHours = assignment.afterHours.map(Self.choice) ?? ""
        requireOnShift = assignment.requireOnShift
        requireSkills = assignment.requireSkills.joined(separator: ", ")
        replyWithin = assignment.replyWithin?.description ?? ""
        replyClock = assignment.replyClock.rawValue
        maxReassignments = String(assignment.maxReassignments)
    }

    /// Reads the submitted form; a field it does not know is refused by name.
    init(form: [(name: String, value: String)]) throws {
        let known: Set<String> = ["csrf", "version", "action"]
        var backupsSeen = Array(repeating: "", count: Self.backupSlots)
        for (name, value) in form {
            switch name {
            case "target": target = value
            case "pool_member": poolMembers.append(value)
            case "pool_mode": poolMode = value
            case "after_hours": afterHours = value
            case "require_on_shift": requireOnShift = value == "on" || value == "true"
            case "require_skills": requireSkills = value
            case "reply_within": replyWithin = value.trimmingCharacters(in: .whitespaces)
            case "reply_clock": replyClock = value
            case "max_reassignments": maxReassignments = value.trimmingCharacters(in: .whitespaces)
            case _ where name.hasPrefix("weight_"): weights[String(name.dropFirst("weight_".count))] = value
            case _ where name.hasPrefix("backup_"):
                guard let slot = Int(name.dropFirst("backup_".count)), (1...Self.backupSlots).contains(slot) else {
                    throw ConsoleError.badRequest("unknown form field \"\(name)\"", field: name)
                }
                backupsSeen[slot - 1] = value
            default:
                guard known.contains(name) else { throw ConsoleError.badRequest("unknown form field \"\(name)\"", field: name) }
            }
        }
        backups = backupsSeen
        if !form.contains(where: { $0.name == "require_on_shift" }) { requireOnShift = false }
    }

    /// The assignment as configuration JSON (nil: none), for lint to judge.
    func json() throws -> JSONValue? {
        guard !target.isEmpty else { return nil }
        var assignment: [String: JSONValue] = ["target": try targetJSON(), "requireOnShift": .bool(requireOnShift)]
        let chain = try backups.prefix { !$0.isEmpty }.enumerated().map { index, choice in
            try Self.json(choice, field: "backup[\(index)]")
        }
        if !chain.isEmpty { assignment["backup"] = .array(chain) }
        if !afterHours.isEmpty { assignment["afterHours"] = try Self.json(afterHours, field: "afterHours") }
        let skills = requireSkills.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !skills.isEmpty { assignment["requireSkills"] = .array(skills.map { .string($0) }) }
        if !replyWithin.isEmpty {
            guard ReplyWindow(replyWithin) != nil else {
                throw ConsoleError.badRequest("reply within \"\(replyWithin)\" is not a duration such as 15m, 2h or 1h30m", field: "replyWithin")
            }
            guard let most = Int(maxReassignments), (0...20).contains(most) else {
                throw ConsoleError.badRequest("re-assignments must be a whole number from 0 to 20 (got \"\(maxReassignments)\")", field: "maxReassignments")
            }
            assignment["replyWithin"] = .string(replyWithin)
            assignment["replyClock"] = .string(replyClock)
            assignment["maxReassignments"] = .number(Double(most))
        }
        return .object(assignment)
    }

    private func targetJSON() throws -> JSONValue {
        guard target == "pool" else { return try Self.json(target, field: "target") }
        var pool: [String: JSONValue] = ["pool": .array(poolMembers.map { .string($0) }), "mode": .string(poolMode)]
        if poolMode == Target.Mode.weighted.rawValue {
            var numbers: [String: JSONValue] = [:]
            for member in poolMembers {
                let typed = weights[member] ?? ""
                guard let weight = Int(typed.isEmpty ? "1" : typed) else {
                    throw ConsoleError.badRequest("the weight of \(member) must be a whole number (got \"\(typed)\")", field: "target.weights.\(member)")
                }
                numbers[member] = .number(Double(weight))
            }
            pool["weights"] = .object(numbers)
        }
        return .object(pool)
    }

    /// A select's value for `target`.
    static func choice(_ target: Target) -> String {
        switch target {
        case .user(let id): "user:\(id)"
        case .team(let id, let mode): "team:\(id):\(mode.rawValue)"
        case .queue(let team): "queue:\(team)"
        case .none: "none"
        case .pool: "pool"
        case .previousOwner: "previousOwner"
        }
    }

    /// The configuration JSON a select's value stands for.
    static func json(_ choice: String, field: String) throws -> JSONValue {
        let parts = choice.split(separator: ":", maxSplits: 2).map(String.init)
        switch (parts.first, parts.count) {
        case ("user", 2): return .object(["user": .string(parts[1])])
        case ("team", 3): return .object(["team": .string(parts[1]), "mode": .string(parts[2])])
        case ("queue", 2): return .object(["queue": .string(parts[1])])
        case ("none", 1): return .object(["none": .bool(true)])
        case ("previousOwner", 1): return .object(["previousOwner": .bool(true)])
        default: throw ConsoleError.badRequest("not a target: \"\(choice)\"", field: field)
        }
    }

    /// Every single-target choice the directory allows, labelled for people.
    static func choices(users: [DirectoryUser], teams: [Team], includePool: Bool) -> [(value: String, label: String)] {
        var options: [(String, String)] = []
        options += users.map { ("user:\($0.id)", "\($0.name) (user)") }
        for team in teams {
            for mode in Target.Mode.allCases where mode != .lead || team.lead != nil {
                options.append(("team:\(team.id):\(mode.rawValue)", "\(team.name): \(Self.modeLabel(mode))"))
            }
            options.append(("queue:\(team.id)", "\(team.name): queue for someone to pick up"))
        }
        if includePool { options.append(("pool", "A pool of users (choose below)")) }
        options.append(("none", "No one (leave unassigned)"))
        return options
    }

    static func modeLabel(_ mode: Target.Mode) -> String {
        switch mode {
        case .lead: "the lead"
        case .roundRobin: "round robin"
        case .weighted: "weighted"
        case .leastLoaded: "least loaded"
        }
    }
}
