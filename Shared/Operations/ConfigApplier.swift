import Foundation
public import SwitchboardCodec
public import SwitchboardDomain
public import SwitchboardNet

/// `apply` (the CLI's and the console's): writes a configuration file's directory part to the directory, then
/// its routing part to the router. The file is checked first (strict keys, types, references),
/// so an invalid file changes nothing anywhere; applying the same file twice changes nothing.
public enum ConfigApplier {
    /// Decodes and lints a configuration document; throws listing every error.
    public static func load(_ bytes: [UInt8]) throws -> (LocationConfig, JSONValue) {
        let (config, report) = ConfigLinter.lint(bytes)
        guard let config, report.errors.isEmpty else {
            throw InvalidConfiguration(errors: report.errors)
        }
        return (config, try WireJSON.decode(JSONValue.self, from: bytes))
    }

    /// Applies a checked configuration; answers the version the router stores it as.
    @discardableResult
    public static func apply(_ config: LocationConfig, raw: JSONValue, directory: LineClient, router: LineClient) async throws -> Int {
        let location = config.location
        _ = try await directory.call("directory.put_users", JSONValue.object([
            "location": .string(location.id), "timezone": .string(location.timezone), "users": raw["users"] ?? .array([]), "replace": .bool(true),
        ]), as: JSONValue.self)
        _ = try await directory.call("directory.put_teams", JSONValue.object([
            "location": .string(location.id), "teams": raw["teams"] ?? .array([]), "replace": .bool(true),
        ]), as: JSONValue.self)
        struct Stored: Decodable { var version: Int }
        return try await router.call("router.put_config", JSONValue.object(["config": raw]), as: Stored.self).version
    }
}

/// A configuration `lint` refuses; each error starts with the offending place
/// (`accounts[2].assignment.target.team: unknown team "t_x"`).
public struct InvalidConfiguration: Error, CustomStringConvertible {
    public let errors: [String]

    public init(errors: [String]) {
        self.errors = errors
    }

    public var description: String {
        "invalid configuration:\n" + errors.map { "  error: \($0)" }.joined(separator: "\n")
    }
}
