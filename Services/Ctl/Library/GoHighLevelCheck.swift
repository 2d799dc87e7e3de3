import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// `apply`'s check of a configuration's GoHighLevel ids against the API (through the notifier,
/// which holds the tokens): a location GoHighLevel does not know, or a user id that is not one
/// of the location's GoHighLevel users, is a warning; so is not being able to check (no
/// credential, GoHighLevel or the notifier unreachable). Warnings only: a location may be
/// configured before its GoHighLevel app is installed, and desks (`u_oncall`) need no CRM user.
enum GoHighLevelCheck {
    static func warnings(_ config: LocationConfig, notifier: LineClient) async -> [String] {
        let answer: JSONValue
        do {
            answer = try await notifier.call("notifier.ghl_users", ["location": config.location.id], as: JSONValue.self, timeout: 20)
        } catch let refusal as WireError where refusal.code == .badRequest {
            return ["location.id: not checked against GoHighLevel: \(refusal.message)"]
        } catch {
            return ["location.id: not checked against GoHighLevel (offline): \(error)"]
        }
        let known = Set((answer["users"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        return config.users.enumerated().compactMap { index, user in
            known.contains(user.id) ? nil : "users[\(index)].id: \(user.id) is not a GoHighLevel user of \(config.location.id) (assignments to them cannot be written to the CRM)"
        }
    }
}
