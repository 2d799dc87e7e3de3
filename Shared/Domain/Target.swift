/// Who an assignment points at (`CONFIG.md`, "An assignment … A target T is one of").
///
/// Decoding accepts exactly one form; a target with none of the forms, or with two, is a
/// `DecodingError` that names it.
public enum Target: Codable, Sendable, Equatable, Hashable {
    /// How a team or pool target picks among its members (`ROUTING.md` step 6).
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case lead
        case roundRobin = "round_robin"
        case weighted
        case leastLoaded = "least_loaded"
    }

    case user(String)
    case team(String, Mode)
    case pool([String], Mode, weights: [String: Int])
    case previousOwner
    case queue(String)
    case none

    enum CodingKeys: String, CodingKey, CaseIterable {
        case user, team, mode, pool, weights, previousOwner, queue, none
    }

    /// The members that name a target's form; a target has exactly one.
    static let formKeys: [CodingKeys] = [.user, .team, .pool, .previousOwner, .queue, .none]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let forms = Self.formKeys.filter { container.contains($0) }
        guard forms.count == 1, let form = forms.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: forms.isEmpty ? "a target needs one of user, team, pool, previousOwner, queue, none"
                    : "a target has exactly one of user, team, pool, previousOwner, queue, none (got \(forms.map(\.stringValue).joined(separator: ", ")))"))
        }
        switch form {
        case .user:
            self = .user(try container.decode(String.self, forKey: .user))
        case .team:
            self = .team(try container.decode(String.self, forKey: .team), try container.decode(Mode.self, forKey: .mode))
        case .pool:
            let mode = try container.decode(Mode.self, forKey: .mode)
            guard mode != .lead else {
                throw DecodingError.dataCorruptedError(forKey: .mode, in: container, debugDescription: "a pool has no lead; use round_robin, weighted or least_loaded")
            }
            self = .pool(try container.decode([String].self, forKey: .pool), mode,
                         weights: try container.decodeIfPresent([String: Int].self, forKey: .weights) ?? [:])
        case .previousOwner:
            guard try container.decode(Bool.self, forKey: .previousOwner) else {
                throw DecodingError.dataCorruptedError(forKey: .previousOwner, in: container, debugDescription: "previousOwner must be true")
            }
            self = .previousOwner
        case .queue:
            self = .queue(try container.decode(String.self, forKey: .queue))
        default:
            guard try container.decode(Bool.self, forKey: .none) else {
                throw DecodingError.dataCorruptedError(forKey: .none, in: container, debugDescription: "none must be true")
            }
            self = .none
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .user(let id): try container.encode(id, forKey: .user)
        case .team(let id, let mode):
            try container.encode(id, forKey: .team)
            try container.encode(mode, forKey: .mode)
        case .pool(let members, let mode, let weights):
            try container.encode(members, forKey: .pool)
            try container.encode(mode, forKey: .mode)
            if !weights.isEmpty { try container.encode(weights, forKey: .weights) }
        case .previousOwner: try container.encode(true, forKey: .previousOwner)
        case .queue(let team): try container.encode(team, forKey: .queue)
        case .none: try container.encode(true, forKey: .none)
        }
    }

    /// The pick mode, for targets that pick among several users.
    public var mode: Mode? {
        switch self {
        case .team(_, let mode), .pool(_, let mode, _): mode
        default: nil
        }
    }

    /// A short human form: `team t_sales (round_robin)`, `user u_alice`, …
    public var summary: String {
        switch self {
        case .user(let id): "user \(id)"
        case .team(let id, let mode): "team \(id) (\(mode.rawValue))"
        case .pool(let members, let mode, _): "pool [\(members.joined(separator: ", "))] (\(mode.rawValue))"
        case .previousOwner: "the previous owner"
        case .queue(let team): "the queue of team \(team)"
        case .none: "no one"
        }
    }
}
