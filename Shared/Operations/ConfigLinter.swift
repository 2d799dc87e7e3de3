import Foundation
import SwitchboardCodec
public import SwitchboardDomain

/// Every check of `CONFIG.md`, "Validation (lint and apply)": errors refuse the file, warnings
/// are printed. Each message starts with the offending place (`accounts[2].assignment.target.team`).
public struct ConfigLinter {
    public struct Report: Sendable {
        public var errors: [String] = []
        public var warnings: [String] = []

        public init(errors: [String] = [], warnings: [String] = []) {
            self.errors = errors
            self.warnings = warnings
        }
    }

    /// Lints raw bytes: a decoding failure (unknown key, wrong type) is the one error reported.
    public static func lint(_ bytes: [UInt8]) -> (LocationConfig?, Report) {
        var report = Report()
        do {
            let config = try WireJSON.decoder.decode(LocationConfig.self, from: Data(bytes))
            check(config, &report)
            return (config, report)
        } catch let error as DecodingError {
            report.errors.append(WireJSON.describe(error))
        } catch {
            report.errors.append("not a JSON configuration: \(error)")
        }
        return (nil, report)
    }

    static func check(_ config: LocationConfig, _ report: inout Report) {
        func error(_ text: String) { report.errors.append(text) }
        func warning(_ text: String) { report.warnings.append(text) }
        func duplicates(_ ids: [String], _ place: String) {
            var seen = Set<String>()
            for (index, id) in ids.enumerated() where !seen.insert(id).inserted { error("\(place)[\(index)].id: duplicate id \"\(id)\"") }
        }
        duplicates(config.users.map(\.id), "users")
        duplicates(config.teams.map(\.id), "teams")
        duplicates(config.accounts.map(\.id), "accounts")
        duplicates(config.rules.map(\.id), "rules")

        let users = Dictionary(config.users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let teams = Dictionary(config.teams.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        var hours: Schedule?
        if (try? TimeZones.named(config.location.timezone)) == nil { error("location.timezone: unknown time zone \"\(config.location.timezone)\"") }
        do {
            hours = try config.location.hours()
        } catch {
            report.errors.append("location.businessHours: \(error.description)")
        }
        for admin in config.location.admins where users[admin] == nil { error("location.admins: unknown user \"\(admin)\"") }

        for (index, user) in config.users.enumerated() {
            if let zone = user.timezone, (try? TimeZones.named(zone)) == nil { error("users[\(index)].timezone: unknown time zone \"\(zone)\"") }
            if let days = user.schedule {
                do {
                    let schedule = try Schedule(days: days)
                    if let hours, let userZone = TimeZone(identifier: user.timezone ?? config.location.timezone),
                       let locationZone = TimeZone(identifier: config.location.timezone),
                       !schedule.overlaps(hours, zone: userZone, otherZone: locationZone, reference: Date(timeIntervalSince1970: 1_795_132_800)) {
                        warning("users[\(index)].schedule: \(user.id)'s shifts never overlap the location's business hours")
                    }
                } catch let problem {
                    error("users[\(index)].schedule: \(problem.description)")
                }
            }
        }
        for (index, team) in config.teams.enumerated() {
            if let lead = team.lead, users[lead] == nil { error("teams[\(index)].lead: unknown user \"\(lead)\"") }
            for (memberIndex, member) in team.members.enumerated() where users[member] == nil {
                error("teams[\(index)].members[\(memberIndex)]: unknown user \"\(member)\"")
            }
            if team.members.isEmpty { warning("teams[\(index)].members: team \(team.id) has no members") }
        }

        func checkTarget(_ target: Target, _ place: String, inRule: Bool) {
            var expanded: [String] = []
            switch target {
            case .user(let id):
                if users[id] == nil { error("\(place).user: unknown user \"\(id)\"") } else { expanded = [id] }
            case .team(let id, let mode):
                if let team = teams[id] { expanded = mode == .lead ? (team.lead.map { [$0] } ?? []) : team.members } else { error("\(place).team: unknown team \"\(id)\"") }
            case .queue(let id):
                if teams[id] == nil { error("\(place).queue: unknown team \"\(id)\"") }
            case .pool(let members, _, let weights):
                for member in members where users[member] == nil { error("\(place).pool: unknown user \"\(member)\"") }
                for (user, weight) in weights.sorted(by: { $0.key < $1.key }) {
                    if !members.contains(user) { error("\(place).weights.\(user): \(user) is not in the pool") }
                    if weight <= 0 { error("\(place).weights.\(user): must be a positive integer") }
                }
                expanded = members
            case .previousOwner:
                if !inRule { error("\(place).previousOwner: only meaningful in a rule") }
            case .none:
                break
            }
            let known = expanded.compactMap { users[$0] }
            if !known.isEmpty, known.allSatisfy({ !$0.active || !$0.assignable }) {
                warning("\(place): every user of this target is inactive or not assignable")
            }
        }
        let skills = Set(config.users.flatMap { $0.skills.map { $0.lowercased() } })
        /// Teams some assignment can queue a contact for (a queue target, or a team target that
        /// finds no one).
        var queueingTeams = Set<String>()
        func checkAssignment(_ assignment: Assignment, _ place: String, inRule: Bool) {
            checkTarget(assignment.target, "\(place).target", inRule: inRule)
            for target in [assignment.target, assignment.afterHours].compactMap({ $0 }) + assignment.backup {
                if case .queue(let team) = target { queueingTeams.insert(team) }
                if case .team(let team, _) = target { queueingTeams.insert(team) }
            }
            if let window = assignment.replyWithin {
                if config.location.multiTouch == .separate {
                    warning("\(place).replyWithin: the location's multiTouch is separate, whose thread assignees are not moved for want of a reply")
                }
                if assignment.replyClock == .business, config.location.businessHours == nil {
                    warning("\(place).replyClock: the location has no business hours, so \(window) of business time is \(window) of wall time")
                }
            }
            for skill in assignment.requireSkills where !skills.contains(skill.lowercased()) {
                warning("\(place).requireSkills: no user has skill \"\(skill)\", so no one is eligible")
            }
            if let afterHours = assignment.afterHours {
                checkTarget(afterHours, "\(place).afterHours", inRule: inRule)
                if config.location.businessHours == nil { warning("\(place).afterHours: the location has no business hours, so it never applies") }
            }
            for (index, backup) in assignment.backup.enumerated() { checkTarget(backup, "\(place).backup[\(index)]", inRule: inRule) }
        }

        var addresses = [String: Int]()
        var producedTags = Set(config.tags.map(\.tag))
        for (index, account) in config.accounts.enumerated() {
            if let other = addresses["\(account.platform):\(account.address)"] {
                error("accounts[\(index)].address: accounts[\(other)] has the same platform and address \(account.address)")
            }
            addresses["\(account.platform):\(account.address)"] = index
            producedTags.insert(account.tag)
            if let assignment = account.assignment {
                checkAssignment(assignment, "accounts[\(index)].assignment", inRule: false)
            } else {
                warning("accounts[\(index)].assignment: \(account.id) has no assignment; its new contacts need a manual assignment")
            }
        }
        for (index, entry) in config.tags.enumerated() { checkAssignment(entry.assignment, "tags[\(index)].assignment", inRule: false) }

        let accountIDs = Set(config.accounts.map(\.id))
        let ordered = config.rules.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
        for (position, (index, rule)) in ordered.enumerated() {
            let place = "rules[\(index)]"
            for id in rule.when.accounts ?? [] where !accountIDs.contains(id) { error("\(place).when.accounts: unknown account \"\(id)\"") }
            if let pattern = rule.when.text, (try? NSRegularExpression(pattern: pattern)) == nil { error("\(place).when.text: invalid regular expression \"\(pattern)\"") }
            if let kind = rule.when.contact, !["new", "existing"].contains(kind) { error("\(place).when.contact: must be new or existing") }
            if let hoursKind = rule.when.hours, !["business", "after"].contains(hoursKind) { error("\(place).when.hours: must be business or after") }
            for code in rule.when.countryCodes ?? [] where code.filter(\.isNumber).isEmpty || code.contains(where: { !$0.isNumber && $0 != "+" }) {
                error("\(place).when.countryCodes: \"\(code)\" is not a country calling code (e.g. \"34\" or \"+52\")")
            }
            for tag in rule.when.tagsAny ?? [] where !producedTags.contains(tag) {
                warning("\(place).when.tagsAny: no account and no tag entry produces tag \"\(tag)\"")
            }
            checkAssignment(rule.then, "\(place).then", inRule: true)
            for (_, earlier) in ordered.prefix(position) where earlier.enabled && rule.enabled && subsumes(earlier.when, rule.when) {
                warning("\(place): never fires, rule \(earlier.id) comes first and holds whenever it does")
                break
            }
        }
        for (index, team) in config.teams.enumerated() where team.assignQueued && !queueingTeams.contains(team.id) {
            warning("teams[\(index)].assignQueued: no assignment queues contacts for \(team.id)")
        }
    }

    /// Whether every condition of `earlier` is also required by `later` (so `earlier` holds
    /// whenever `later` does).
    static func subsumes(_ earlier: Conditions, _ later: Conditions) -> Bool {
        func within<T: Hashable>(_ a: [T]?, _ b: [T]?) -> Bool {
            guard let a = a.map({ Set($0) }) else { return true }
            guard let b = b.map({ Set($0) }) else { return false }
            return b.isSubset(of: a)
        }
        func same<T: Equatable>(_ a: T?, _ b: T?) -> Bool { a == nil || a == b }
        let tagsAnyOK = earlier.tagsAny == nil || (later.tagsAny.map { Set($0).isSubset(of: Set(earlier.tagsAny!)) } ?? false)
        let tagsNoneOK = earlier.tagsNone == nil || (later.tagsNone.map { Set(earlier.tagsNone!).isSubset(of: Set($0)) } ?? false)
        return within(earlier.accounts, later.accounts) && within(earlier.platforms, later.platforms) && within(earlier.source, later.source)
            && same(earlier.contact, later.contact) && same(earlier.hours, later.hours) && same(earlier.text, later.text)
            && same(earlier.previouslyOwned, later.previouslyOwned) && tagsAnyOK && tagsNoneOK
            && within(earlier.countryCodes, later.countryCodes) && within(earlier.languages, later.languages)
    }
}
