import Foundation
import SwitchboardCodec

/// A service's settings, merged from a JSON file, the environment and command-line flags.
///
/// Precedence: flags win over environment, environment over the file (`--config FILE` or
/// `SWITCHBOARD_CONFIG`). Keys are kebab-case (`max-line`); the environment spells them
/// `SWITCHBOARD_MAX_LINE`. Every service declares its keys, so a misspelled flag or file key is a
/// clear error rather than a silent default. Secrets are never settings: see ``Secrets``.
public struct Settings: Sendable {
    /// A key a service accepts, with its default and a line for `--help`.
    public struct Key: Sendable {
        public var name: String
        public var defaultValue: String?
        public var help: String

        public init(_ name: String, default defaultValue: String? = nil, help: String) {
            self.name = name
            self.defaultValue = defaultValue
            self.help = help
        }

        /// `listen`: the line-protocol address every service has.
        public static func listen(port: Int) -> Key {
            Key("listen", default: "127.0.0.1:\(port)", help: "host:port of the line protocol")
        }

        /// `database`: the service's SQLite file, `state/SERVICE.sqlite` by default.
        public static func database(_ service: String) -> Key {
            Key("database", default: "state/\(service).sqlite", help: "path of the SQLite file")
        }
    }

    private let values: [String: String]
    /// Where each value came from, for error messages.
    private let origins: [String: String]

    /// Parses settings.
    ///
    /// - Parameters:
    ///   - keys: the keys this service accepts (`config` and `help` are implicit).
    ///   - secretNames: names that must never arrive as flags; passing one is refused.
    /// - Throws: ``SettingsError`` naming the offending flag, key or file.
    public init(
        arguments: [String], environment: [String: String], keys: [Key], secretNames: [String] = []
    ) throws(SettingsError) {
        let known = Set(keys.map(\.name) + ["config"])
        var flags: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw SettingsError("unexpected argument \"\(argument)\"") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if secretNames.contains(name) {
                throw SettingsError("--\(name) is a secret: set it in the environment (\(Settings.environmentName(name))) or as a systemd credential, never as a flag")
            }
            guard known.contains(name) else { throw SettingsError("unknown flag --\(name)") }
            if value == nil {
                index += 1
                guard index < arguments.count else { throw SettingsError("flag --\(name) needs a value") }
                value = arguments[index]
            }
            flags[name] = value
            index += 1
        }

        var merged: [String: String] = [:]
        var origins: [String: String] = [:]
        for key in keys {
            if let value = key.defaultValue {
                merged[key.name] = value
                origins[key.name] = "default"
            }
        }
        if let path = flags["config"] ?? environment[Settings.environmentName("config")] {
            for (name, value) in try Settings.readFile(path, known: known) {
                merged[name] = value
                origins[name] = path
            }
        }
        for key in keys {
            let variable = Settings.environmentName(key.name)
            if let value = environment[variable] {
                merged[key.name] = value
                origins[key.name] = variable
            }
        }
        for (name, value) in flags where name != "config" {
            merged[name] = value
            origins[name] = "--\(name)"
        }
        values = merged
        self.origins = origins
    }

    /// `max-line` → `SWITCHBOARD_MAX_LINE`.
    public static func environmentName(_ key: String) -> String {
        "SWITCHBOARD_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    public func string(_ key: String) -> String? { values[key] }

    public func int(_ key: String) throws(SettingsError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text) else { throw SettingsError("\(origin(key)): \(key) must be a whole number, got \"\(text)\"") }
        return value
    }

    public func double(_ key: String) throws(SettingsError) -> Double? {
        guard let text = values[key] else { return nil }
        guard let value = Double(text) else { throw SettingsError("\(origin(key)): \(key) must be a number, got \"\(text)\"") }
        return value
    }

    public func bool(_ key: String) throws(SettingsError) -> Bool {
        guard let text = values[key] else { return false }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw SettingsError("\(origin(key)): \(key) must be true or false, got \"\(text)\"")
        }
    }

    /// A `host:port` listen or peer address.
    public func address(_ key: String) throws(SettingsError) -> (host: String, port: UInt16)? {
        guard let text = values[key] else { return nil }
        guard let parsed = parseHostPortSetting(text) else {
            throw SettingsError("\(origin(key)): \(key) must be host:port, got \"\(text)\"")
        }
        return parsed
    }

    private func origin(_ key: String) -> String { origins[key] ?? "settings" }

    private static func readFile(_ path: String, known: Set<String>) throws(SettingsError) -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SettingsError("cannot read configuration file \(path): \(error.localizedDescription)")
        }
        let object: [String: JSONValue]
        do {
            object = try WireJSON.decoder.decode([String: JSONValue].self, from: data)
        } catch {
            throw SettingsError("configuration file \(path) is not a JSON object")
        }
        var values: [String: String] = [:]
        for (key, value) in object {
            guard known.contains(key), key != "config" else { throw SettingsError("\(path): unknown key \"\(key)\"") }
            switch value {
            case .string(let text): values[key] = text
            case .bool(let flag): values[key] = flag ? "true" : "false"
            case .number(let number): values[key] = number.rounded() == number ? String(Int64(number)) : String(number)
            default: throw SettingsError("\(path): \(key) must be a string, number or boolean")
            }
        }
        return values
    }

    /// The `--help` text for a service.
    public static func usage(service: String, summary: String, keys: [Key], secretNames: [String]) -> String {
        var text = "usage: \(service) [--config FILE] [--KEY VALUE …]\n\n\(summary)\n\nSettings (flag, environment variable, default):\n"
        for key in keys {
            let defaultText = key.defaultValue.map { " (default \($0))" } ?? ""
            text += "  --\(key.name)  \(environmentName(key.name))\(defaultText)\n      \(key.help)\n"
        }
        if !secretNames.isEmpty {
            text += "\nSecrets (environment variable or systemd credential file, never flags):\n"
            for name in secretNames { text += "  \(name): \(environmentName(name)) or $CREDENTIALS_DIRECTORY/\(name)\n" }
        }
        return text
    }
}

private func parseHostPortSetting(_ text: String) -> (host: String, port: UInt16)? {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
    let host = String(text[..<colon])
    return (host.isEmpty ? "127.0.0.1" : host, port)
}

/// A configuration problem; services print it and exit non-zero (status 78, `EX_CONFIG`).
public struct SettingsError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Secrets from systemd credentials (`$CREDENTIALS_DIRECTORY/NAME`, preferred) or the
/// environment (`SWITCHBOARD_NAME`), never from flags or configuration files.
public struct Secrets: Sendable {
    private let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The secret called `name`, with one trailing newline removed; nil when not set.
    public func value(_ name: String) throws(SettingsError) -> String? {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/" + name
            if FileManager.default.fileExists(atPath: path) {
                guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                    throw SettingsError("credential \(name) in \(directory) is unreadable or not UTF-8")
                }
                if text.hasSuffix("\n") { text.removeLast() }
                return text
            }
        }
        return environment[Settings.environmentName(name)]
    }
}

extension Settings {
    /// The `database` setting, with its folder created (`state/NAME.sqlite` by default).
    public func databasePath(default fallback: String) throws -> String {
        let path = string("database") ?? fallback
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SettingsError("cannot create the folder of database \(path): \(error.localizedDescription)")
            }
        }
        return path
    }
}
