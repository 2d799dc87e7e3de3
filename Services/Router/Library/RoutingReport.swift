import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardStore

extension RoutingReport {
    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return sorted[min(sorted.count, rank) - 1]
    }

    /// Computes the report from the router's tables.
    static func compute(config: LocationConfig, since: Date, until: Date, database: Database) throws -> RoutingReport {
        let zone = TimeZone(identifier: config.location.timezone) ?? TimeZone(identifier: "UTC")!
        let location = config.location.id
        let window: [SQLValue] = [.text(location), .real(since.timeIntervalSince1970), .real(until.timeIntervalSince1970)]
        struct Row { var contact: String; var account: String?; var event: String; var user: String?; var reason: DecisionReason; var at: Date; var response: Date?; var assigned: Bool }
        let rows = try database.rows(
            "SELECT contact, account, event, user, reason, at, first_response_at, assigned FROM decisions WHERE location = ? AND at >= ? AND at < ? ORDER BY seq", window
        ) { row in
            Row(contact: row.string(0), account: row.optionalString(1), event: row.string(2), user: row.optionalString(3), reason: try row.word(4, as: DecisionReason.self),
                at: Date(timeIntervalSince1970: row.double(5)), response: row.optionalDouble(6).map { Date(timeIntervalSince1970: $0) }, assigned: row.bool(7))
        }
        let inbound = try database.rows("SELECT message, at FROM inbound_messages WHERE location = ? AND at >= ? AND at < ?", window) {
            (try WireJSON.decode(InboundMessage.self, from: Array($0.string(0).utf8)), Date(timeIntervalSince1970: $0.double(1)))
        }
        let firstSeen = try database.rows("SELECT json_extract(message, '$.contact'), MIN(at) FROM inbound_messages WHERE location = ? GROUP BY 1", [.text(location)]) {
            ($0.string(0), Date(timeIntervalSince1970: $0.double(1)))
        }
        let newContacts = Set(firstSeen.filter { $0.1 >= since && $0.1 < until }.map(\.0))
        var openNow: [String: Int] = [:]
        var resolved: [String: Int] = [:]
        try database.query("SELECT owner, open, COUNT(*) FROM contacts WHERE location = ? AND owner IS NOT NULL GROUP BY owner, open", [.text(location)]) { row in
            if row.bool(1) { openNow[row.string(0)] = row.int(2) } else { resolved[row.string(0)] = row.int(2) }
        }

        let assignments = rows.filter { $0.assigned && $0.user != nil }
        var assignedByUser: [String: Int] = [:]
        var responses: [String: [Double]] = [:]
        for row in assignments {
            assignedByUser[row.user!, default: 0] += 1
            if let response = row.response { responses[row.user!, default: []].append(response.timeIntervalSince(row.at)) }
        }
        var teamOf: [String: Team] = [:]
        for team in config.teams { for member in team.members where teamOf[member] == nil { teamOf[member] = team } }
        let users = config.users.map { user -> User in
            let sorted = (responses[user.id] ?? []).sorted()
            var share: Double?
            if let team = teamOf[user.id] {
                let total = team.members.reduce(0) { $0 + (assignedByUser[$1] ?? 0) }
                share = total == 0 ? nil : Double(assignedByUser[user.id] ?? 0) / Double(total)
            }
            return User(user: user.id, assigned: assignedByUser[user.id] ?? 0, openNow: openNow[user.id] ?? 0, resolved: resolved[user.id] ?? 0,
                        firstResponseP50: percentile(sorted, 0.5), firstResponseP90: percentile(sorted, 0.9), teamShare: share)
        }

        let accounts = config.accounts.map { account -> AccountFigures in
            let messages = inbound.filter { $0.0.platform == account.platform && $0.0.account == account.address }
            let decided = rows.filter { $0.account == account.id && $0.event == "inbound" }
            var unassigned: [String: Int] = [:]
            for row in decided where row.reason.leavesUnassigned { unassigned[row.reason.rawValue, default: 0] += 1 }
            return AccountFigures(
                account: account.id, inbound: messages.count, newContacts: Set(messages.map(\.0.contact)).intersection(newContacts).count,
                assigned: decided.filter(\.assigned).count, unassigned: unassigned)
        }

        var targets: [TargetBalance] = []
        for account in config.accounts {
            guard let target = account.assignment?.target, let mode = target.mode, mode != .lead else { continue }
            let members: [String]
            switch target {
            case .team(let id, _): members = config.teams.first { $0.id == id }?.members ?? []
            case .pool(let pool, _, _): members = pool
            default: members = []
            }
            let counts = Dictionary(uniqueKeysWithValues: members.map { member in
                (member, assignments.filter { $0.account == account.id && $0.user == member }.count)
            })
            guard !targets.contains(where: { $0.target == target.summary }) else { continue }
            targets.append(TargetBalance(target: target.summary, assigned: counts, spread: (counts.values.max() ?? 0) - (counts.values.min() ?? 0)))
        }

        var days: [String: Day] = [:]
        func day(_ at: Date) -> String { LocalTime(at, in: zone).date.description }
        for (message, at) in inbound {
            _ = message
            days[day(at), default: Day(day: day(at), inbound: 0, assigned: [:], unassigned: 0)].inbound += 1
        }
        for row in rows {
            let key = day(row.at)
            if row.assigned, let user = row.user {
                days[key, default: Day(day: key, inbound: 0, assigned: [:], unassigned: 0)].assigned[user, default: 0] += 1
            } else if row.reason.leavesUnassigned {
                days[key, default: Day(day: key, inbound: 0, assigned: [:], unassigned: 0)].unassigned += 1
            }
        }
        return RoutingReport(
            location: location, timezone: config.location.timezone, since: since, until: until, users: users, accounts: accounts,
            targets: targets, days: days.values.sorted { $0.day < $1.day })
    }
}

extension RouterStore {
    func report(config: LocationConfig, since: Date, until: Date) async throws -> RoutingReport {
        try await store.read { database in try RoutingReport.compute(config: config, since: since, until: until, database: database) }
    }
}
