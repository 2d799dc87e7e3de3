import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// `switchboardctl apply`: writes a configuration file's directory part to the directory, then
/// its routing part to the router. The file is checked first (strict keys, types, references),
/// so an invalid file changes nothing anywhere; applying the same file twice changes nothing.
public enum ConfigApplier {
    /// Decodes and checks a configuration document; throws with the offending place.
    public static func load(_ bytes: [UInt8]) throws -> (LocationConfig, JSONValue) {
        let config: LocationConfig
        do {
            config = try WireJSON.decoder.decode(LocationConfig.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw CtlError("invalid configuration: \(WireJSON.describe(error))")
        }
        let raw = try WireJSON.decode(JSONValue.self, from: bytes)
        try references(config)
        return (config, raw)
    }

    /// Every id a configuration refers to must be defined.
    static func references(_ config: LocationConfig) throws {
        let users = Set(config.users.map(\.id))
        let teams = Set(config.teams.map(\.id))
        func check(_ target: Target, _ place: String) throws {
            switch target {
            case .user(let id) where !users.contains(id): throw CtlError("\(place).user: unknown user \"\(id)\"")
            case .team(let id, _) where !teams.contains(id), .queue(let id) where !teams.contains(id): throw CtlError("\(place).team: unknown team \"\(id)\"")
            case .pool(let members, _, let weights):
                for member in members where !users.contains(member) { throw CtlError("\(place).pool: unknown user \"\(member)\"") }
                for (user, weight) in weights {
                    guard members.contains(user) else { throw CtlError("\(place).weights: \(user) is not in the pool") }
                    guard weight > 0 else { throw CtlError("\(place).weights.\(user): must be a positive integer") }
                }
            default: break
            }
        }
        func check(_ assignment: Assignment, _ place: String, rule: Bool) throws {
            for (target, suffix) in [(assignment.target, "target")] + (assignment.afterHours.map { [($0, "afterHours")] } ?? [])
                + assignment.backup.enumerated().map({ ($0.element, "backup[\($0.offset)]") }) {
                if case .previousOwner = target, !rule { throw CtlError("\(place).\(suffix): previousOwner is only meaningful in a rule") }
                try check(target, "\(place).\(suffix)")
            }
        }
        for (index, team) in config.teams.enumerated() {
            if let lead = team.lead, !users.contains(lead) { throw CtlError("teams[\(index)].lead: unknown user \"\(lead)\"") }
            for member in team.members where !users.contains(member) { throw CtlError("teams[\(index)].members: unknown user \"\(member)\"") }
        }
        for admin in config.location.admins where !users.contains(admin) { throw CtlError("location.admins: unknown user \"\(admin)\"") }
        var addresses = Set<String>()
        for (index, account) in config.accounts.enumerated() {
            guard addresses.insert("\(account.platform):\(account.address)").inserted else {
                throw CtlError("accounts[\(index)]: another account has platform \(account.platform) and address \(account.address)")
            }
            if let assignment = account.assignment { try check(assignment, "accounts[\(index)].assignment", rule: false) }
        }
        for (index, entry) in config.tags.enumerated() { try check(entry.assignment, "tags[\(index)].assignment", rule: false) }
        let accountIDs = Set(config.accounts.map(\.id))
        for (index, rule) in config.rules.enumerated() {
            for id in rule.when.accounts ?? [] where !accountIDs.contains(id) { throw CtlError("rules[\(index)].when.accounts: unknown account \"\(id)\"") }
            try check(rule.then, "rules[\(index)].then", rule: true)
        }
    }

    /// Applies a checked configuration.
    public static func apply(_ config: LocationConfig, raw: JSONValue, directory: LineClient, router: LineClient) async throws {
        let location = config.location
        _ = try await directory.call("directory.put_users", JSONValue.object([
            "location": .string(location.id), "timezone": .string(location.timezone), "users": raw["users"] ?? .array([]), "replace": .bool(true),
        ]), as: JSONValue.self)
        _ = try await directory.call("directory.put_teams", JSONValue.object([
            "location": .string(location.id), "teams": raw["teams"] ?? .array([]), "replace": .bool(true),
        ]), as: JSONValue.self)
        _ = try await router.call("router.put_config", JSONValue.object(["config": raw]), as: JSONValue.self)
    }
}
