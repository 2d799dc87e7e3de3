import Foundation
import SwitchboardCodec
import SwitchboardDomain

/// `directory.put_users`: upsert users into a location (and set its default time zone).
/// With `replace`, members of the location that are not listed leave it (they are not deleted).
struct PutUsersRequest: Codable, Sendable {
    var location: String
    var timezone: String?
    var users: [DirectoryUser]
    var replace: Bool?
    enum CodingKeys: String, CodingKey { case location, timezone, users, replace }
}

/// `directory.put_teams`: upsert teams of a location; with `replace`, unlisted teams are removed.
struct PutTeamsRequest: Codable, Sendable {
    var location: String
    var teams: [Team]
    var replace: Bool?
    enum CodingKeys: String, CodingKey { case location, teams, replace }
}

/// The answer to every write: the directory version after it and whether anything changed.
struct WriteResult: Codable, Sendable, Equatable {
    var version: Int
    var changed: Bool
    enum CodingKeys: String, CodingKey { case version, changed }
}

/// A field of a patch: left alone, cleared (`null`), or set.
enum PatchField<Value: Sendable & Equatable>: Sendable, Equatable {
    case unchanged
    case clear
    case set(Value)
}

/// `directory.update_user`: `{"id": …, "set": {"away": true, "maxOpen": null, …}}`.
struct UpdateUserRequest: Decodable, Sendable {
    var id: String
    var set: UserPatch
    enum CodingKeys: String, CodingKey { case id, set }
}

/// The fields `update_user` may change. `null` clears `maxOpen`, `schedule` and `timezone`;
/// unknown fields are refused so a typo cannot pass silently.
struct UserPatch: Decodable, Sendable {
    var active: Bool?
    var away: Bool?
    var assignable: Bool?
    var maxOpen: PatchField<Int> = .unchanged
    var schedule: PatchField<[String: [String]]> = .unchanged
    var timezone: PatchField<String> = .unchanged
    var notify: [NotifyChannel]?

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let fields: Set<String> = ["active", "away", "assignable", "maxOpen", "schedule", "timezone", "notify"]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !Self.fields.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: "unknown field \(key.stringValue) (allowed: \(Self.fields.sorted().joined(separator: ", ")))")
        }
        func patch<T: Decodable & Sendable & Equatable>(_ name: String, _ type: T.Type) throws -> PatchField<T> {
            let key = AnyKey(stringValue: name)
            guard container.contains(key) else { return .unchanged }
            if try container.decodeNil(forKey: key) { return .clear }
            return .set(try container.decode(T.self, forKey: key))
        }
        active = try container.decodeIfPresent(Bool.self, forKey: AnyKey(stringValue: "active"))
        away = try container.decodeIfPresent(Bool.self, forKey: AnyKey(stringValue: "away"))
        assignable = try container.decodeIfPresent(Bool.self, forKey: AnyKey(stringValue: "assignable"))
        maxOpen = try patch("maxOpen", Int.self)
        schedule = try patch("schedule", [String: [String]].self)
        timezone = try patch("timezone", String.self)
        notify = try container.decodeIfPresent([NotifyChannel].self, forKey: AnyKey(stringValue: "notify"))
    }
}

struct UserIDRequest: Codable, Sendable {
    var id: String
    enum CodingKeys: String, CodingKey { case id }
}


struct UserResponse: Codable, Sendable {
    var user: DirectoryUser
    var version: Int
    enum CodingKeys: String, CodingKey { case user, version }
}

struct UsersResponse: Codable, Sendable {
    var users: [DirectoryUser]
    var version: Int
    enum CodingKeys: String, CodingKey { case users, version }
}

struct TeamsResponse: Codable, Sendable {
    var teams: [Team]
    var version: Int
    enum CodingKeys: String, CodingKey { case teams, version }
}

/// `directory.import_ghl_users`: the body of GoHighLevel's `GET /users/?locationId=…`.
struct ImportGHLRequest: Decodable, Sendable {
    var location: String
    var response: GHLUsersResponse
    enum CodingKeys: String, CodingKey { case location, response }
}

struct GHLUsersResponse: Decodable, Sendable {
    var users: [GHLUser]
    enum CodingKeys: String, CodingKey { case users }
}

/// The fields of a GoHighLevel user that the directory takes (payloads/ghl-users-by-location-response.json).
struct GHLUser: Decodable, Sendable {
    var id: String
    var name: String?
    var firstName: String?
    var lastName: String?
    var email: String?
    var phone: String?
    var deleted: Bool?
    var permissions: [String: JSONValue]?
    enum CodingKeys: String, CodingKey { case id, name, firstName, lastName, email, phone, deleted, permissions }

    /// Whether GoHighLevel lets the user work a contact: contacts and conversations are not
    /// switched off for them (absent permissions: yes).
    var canWorkContacts: Bool {
        permissions?["contactsEnabled"] != .bool(false) && permissions?["conversationsEnabled"] != .bool(false)
    }

    var displayName: String {
        if let name, !name.isEmpty { return name }
        let joined = [firstName, lastName].compactMap { $0 }.joined(separator: " ")
        return joined.isEmpty ? id : joined
    }
}

struct VersionResponse: Codable, Sendable {
    var version: Int
    enum CodingKeys: String, CodingKey { case version }
}
