import SwitchboardCodec

/// Small edits of a configuration document held as JSON, the console's unit of change.
extension JSONValue {
    /// The object's member `key` set to `value` (removed when nil); a non-object is left as is.
    func setting(_ key: String, to value: JSONValue?) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// The index of the element of array member `collection` whose `id` (or `key`) is `id`.
    func index(in collection: String, id: String, key: String = "id") -> Int? {
        self[collection]?.arrayValue?.firstIndex { $0[key]?.stringValue == id }
    }

    /// Array member `collection` with element `index` replaced by `change` of it.
    func updating(_ collection: String, at index: Int, _ change: (JSONValue) throws -> JSONValue) rethrows -> JSONValue {
        guard var elements = self[collection]?.arrayValue, elements.indices.contains(index) else { return self }
        elements[index] = try change(elements[index])
        return setting(collection, to: .array(elements))
    }

    var objectValue: [String: JSONValue]? {
        guard case .object(let members) = self else { return nil }
        return members
    }
}

extension JSONValue {
    /// The document with account `account`'s assignment set (removed when nil or `null`).
    func settingAssignment(of account: String, to assignment: JSONValue?, location: String) throws -> JSONValue {
        guard let index = index(in: "accounts", id: account) else { throw ConsoleError.notFound("no account \(account) in \(location)") }
        return updating("accounts", at: index) { $0.setting("assignment", to: assignment == .null ? nil : assignment) }
    }

    /// The document with user `user`'s `fields` set (a `null` value removes the field).
    func changingUser(_ user: String, _ fields: [String: JSONValue], location: String) throws -> JSONValue {
        guard let index = index(in: "users", id: user) else { throw ConsoleError.notFound("no user \(user) in \(location)") }
        return updating("users", at: index) { current in
            fields.reduce(current) { user, field in user.setting(field.key, to: field.value == .null ? nil : field.value) }
        }
    }

    /// The document with team `team`'s `fields` set (a `null` value removes the field).
    func changingTeam(_ team: String, _ fields: [String: JSONValue], location: String) throws -> JSONValue {
        guard let index = index(in: "teams", id: team) else { throw ConsoleError.notFound("no team \(team) in \(location)") }
        return updating("teams", at: index) { current in
            fields.reduce(current) { team, field in team.setting(field.key, to: field.value == .null ? nil : field.value) }
        }
    }
}
