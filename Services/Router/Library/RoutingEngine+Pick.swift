import Foundation
import SwitchboardDomain

extension RoutingEngine {
    /// Which part of an assignment supplied the user (for the reason, `ROUTING.md` step 7).
    enum Via: Equatable { case target, afterHours, backup }

    /// A user a fresh decision may not pick, and why (drained, or missed a reply).
    struct Excluded {
        var user: String
        var why: String
    }

    enum PickResult {
        case user(Candidate, Via)
        case queued(team: String)
        case noneTarget
        case nobody
    }

    /// Steps 5–6: the target (after hours or not), then each backup, the same way.
    ///
    /// - Parameters:
    ///   - fresh: the contact being decided leaves its current owner's load.
    ///   - excluding: a user who may not be picked (the one being drained).
    func pick(
        _ assignment: Assignment, contact: ContactState, at: Date, fresh: Bool, excluding: Excluded?, threads: Bool,
        trace: inout DecisionTrace, rotations: inout [String: RotationState]
    ) throws -> PickResult {
        let afterHours = !isBusinessHours(at) && assignment.afterHours != nil
        let primary = afterHours ? assignment.afterHours! : assignment.target
        if afterHours { trace.steps.append("Outside business hours: the after-hours target applies.") }
        var attempts: [(Target, Via, String)] = [(primary, afterHours ? .afterHours : .target, afterHours ? "after-hours target" : "target")]
        for (index, backup) in assignment.backup.enumerated() { attempts.append((backup, .backup, "backup \(index + 1)")) }
        for (target, via, role) in attempts {
            switch target {
            case .queue(let team):
                trace.targets.append(TraceTarget(role: role, target: target.summary, candidates: [], pick: "The contact waits in the queue of \(team)."))
                return .queued(team: team)
            case .none:
                trace.targets.append(TraceTarget(role: role, target: target.summary, candidates: [], pick: "The target assigns no one."))
                return .noneTarget
            default:
                if let user = try pickFrom(target, role: role, requireOnShift: assignment.requireOnShift, requireSkills: assignment.requireSkills, contact: contact, at: at,
                                                 fresh: fresh, excluding: excluding, threads: threads, trace: &trace, rotations: &rotations) {
                    return .user(user, via)
                }
            }
        }
        if case .team(let team, _) = primary {
            trace.steps.append("No one is eligible: the contact queues for team \(team).")
            return .queued(team: team)
        }
        return .nobody
    }

    /// One target: expand, check eligibility (with capacity), pick by mode.
    private func pickFrom(
        _ target: Target, role: String, requireOnShift: Bool, requireSkills: [String] = [], contact: ContactState, at: Date, fresh: Bool, excluding: Excluded?,
        threads: Bool, trace: inout DecisionTrace, rotations: inout [String: RotationState]
    ) throws -> Candidate? {
        let expanded: Target
        if case .previousOwner = target {
            guard let previous = contact.previousOwner else {
                trace.targets.append(TraceTarget(role: role, target: target.summary, candidates: [], pick: "The contact has no previous owner."))
                return nil
            }
            expanded = .user(previous)
        } else {
            expanded = target
        }
        let candidates = try world.candidates(location: location, target: expanded, at: at)
        let loads = try world.loads(location: location, users: candidates.map(\.id), threads: threads)
        var traced: [TraceCandidate] = []
        var eligible: [Candidate] = []
        for candidate in candidates {
            var reasons = candidate.reasons.filter { requireOnShift || $0.code != .offShift }.map(\.detail)
            var load = loads[candidate.id] ?? 0
            if fresh, contact.open, !threads, contact.owner == candidate.id { load = max(0, load - 1) }
            if let maxOpen = candidate.maxOpen, load >= maxOpen { reasons.append("at capacity \(load)/\(maxOpen)") }
            if let excluding, candidate.id == excluding.user { reasons.append(excluding.why) }
            let skills = Set(candidate.skills.map { $0.lowercased() })
            for skill in requireSkills where !skills.contains(skill.lowercased()) { reasons.append("lacks skill \(skill)") }
            traced.append(TraceCandidate(user: candidate.id, eligible: reasons.isEmpty, reasons: reasons))
            if reasons.isEmpty { eligible.append(candidate) }
        }
        var record = TraceTarget(role: role, target: target.summary, candidates: traced, pick: nil)
        defer { trace.targets.append(record) }
        guard !eligible.isEmpty else {
            record.pick = "No one is eligible."
            return nil
        }
        guard let mode = expanded.mode, mode != .lead else {
            record.pick = "Picked \(eligible[0].id)."
            return eligible[0]
        }
        let key = rotationKey(expanded)
        var state = try rotationsOrWorld(key, rotations)
        let chosen: Candidate
        switch mode {
        case .roundRobin:
            let order = candidates.map(\.id)
            let start = state.lastPicked.flatMap { order.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            let eligibleIDs = Set(eligible.map(\.id))
            let index = (0..<order.count).map { (start + $0) % order.count }.first { eligibleIDs.contains(order[$0]) }!
            chosen = candidates[index]
            record.pick = "Round robin: after \(state.lastPicked ?? "no one (first pick)"), the next eligible member is \(chosen.id)."
            state.lastPicked = chosen.id
        case .weighted:
            let total = eligible.reduce(0) { $0 + $1.weight }
            for candidate in eligible { state.totals[candidate.id, default: 0] += candidate.weight }
            var best = eligible[0]
            for candidate in eligible.dropFirst() where state.totals[candidate.id, default: 0] > state.totals[best.id, default: 0] {
                best = candidate
            }
            chosen = best
            let totals = eligible.map { "\($0.id) \(state.totals[$0.id, default: 0])" }.joined(separator: ", ")
            record.pick = "Weighted: totals \(totals); \(chosen.id) has the highest and gives back \(total)."
            state.totals[chosen.id, default: 0] -= total
        case .leastLoaded:
            let recency = try world.lastAssigned(location: location, users: eligible.map(\.id))
            func load(_ candidate: Candidate) -> Int {
                var value = loads[candidate.id] ?? 0
                if fresh, contact.open, !threads, contact.owner == candidate.id { value = max(0, value - 1) }
                return value
            }
            chosen = eligible.enumerated().min { lhs, rhs in
                let left = (load(lhs.element), recency[lhs.element.id]?.timeIntervalSince1970 ?? -.infinity, lhs.offset)
                let right = (load(rhs.element), recency[rhs.element.id]?.timeIntervalSince1970 ?? -.infinity, rhs.offset)
                return left < right
            }!.element
            record.pick = "Least loaded: \(eligible.map { "\($0.id) \(load($0))" }.joined(separator: ", ")); \(chosen.id) is picked."
        case .lead:
            chosen = eligible[0]
        }
        rotations[key] = state
        return chosen
    }

    private func rotationsOrWorld(_ key: String, _ rotations: [String: RotationState]) throws -> RotationState {
        if let state = rotations[key] { return state }
        return try world.rotation(location: location, key: key)
    }

    /// Rotation belongs to the location and the target: a team and mode, or a pool's members and mode.
    func rotationKey(_ target: Target) -> String {
        switch target {
        case .team(let team, let mode): "team:\(team):\(mode.rawValue)"
        case .pool(let members, let mode, _): "pool:\(members.joined(separator: ",")):\(mode.rawValue)"
        default: "target:\(target.summary)"
        }
    }
}
