import Foundation
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardRuntime

/// `switchboardctl`: the operator's command line.
public enum CtlCommand {
    static let usage = """
        usage: switchboardctl COMMAND [ARGS] [--location L] [--json] [--router H:P] [--directory H:P] [--notifier H:P] [--adapters H:P]

        Configuration:   lint -f FILE | apply -f FILE
        Reads (JSON):    get contacts [--owner U] | get contact CONTACT | get users | get teams | get accounts | get config | get loads
        Explain:         explain CONTACT [--json]
        Changes:         assign CONTACT USER | release CONTACT | unassign CONTACT | resolve CONTACT
                         tag CONTACT TAG… | drain USER
        Directory:       directory sync                (GoHighLevel's users now, through the notifier)
                         directory import-ghl FILE     (the body of GoHighLevel's GET /users/?locationId=…)
        Queues:          inbox [--status pending|rejected|done] | deliveries [--status pending|dead|delivered] | deliveries retry
        Scenarios:       scenario run FILE… [--bin-dir DIR] [--verbose]
        Reports:         report [--since 7d] [--json | --html FILE] [--from SAVED.json]
        What if:         simulate -f NEW_CONFIG [--since 7d] [--json]   (replays stored messages with a proposed configuration)
        Scale-out:       partition show | partition move LOCATION --to INSTANCE   (with --partitions FILE; docs/scaling.md)
        Console:         console hash-password   (reads the admin password from stdin, prints the console-password-hash credential)
        Local mesh:      up [--config FILE] [--state DIR] [--bin-dir DIR] [--demo]   (--demo sends signed demo webhooks and explains each decision)

        Service addresses default to 127.0.0.1:7101–7104 (SWITCHBOARD_ROUTER, SWITCHBOARD_DIRECTORY, …).
        With several router instances, --partitions FILE (or SWITCHBOARD_PARTITIONS) finds each location's.
        A mesh that requires the line token: SWITCHBOARD_TOKEN, or --token-file FILE (never the token itself as a flag).
        """

    /// Parsed arguments: positional words and `--flag value` options.
    struct Arguments {
        var words: [String] = []
        var options: [String: String] = [:]
        var flags: Set<String> = []

        init(_ arguments: [String]) throws {
            var index = 0
            let booleans: Set<String> = ["json", "verbose", "help", "demo"]
            while index < arguments.count {
                let argument = arguments[index]
                if argument == "-f" || argument.hasPrefix("--") {
                    let name = argument == "-f" ? "file" : String(argument.dropFirst(2))
                    if booleans.contains(name) {
                        flags.insert(name)
                    } else {
                        index += 1
                        guard index < arguments.count else { throw CtlError("\(argument) needs a value") }
                        options[name] = arguments[index]
                    }
                } else {
                    words.append(argument)
                }
                index += 1
            }
        }
    }

    public static func main(_ raw: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(raw)
        } catch {
            FileHandle.standardError.write(Data("switchboardctl: \(error)\n\(usage)\n".utf8))
            return 64
        }
        if arguments.flags.contains("help") || arguments.words.isEmpty {
            print(usage)
            return arguments.words.isEmpty && !arguments.flags.contains("help") ? 64 : 0
        }
        do {
            return try await dispatch(arguments)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("switchboardctl: \(error.description)\n\(usage)\n".utf8))
            return 64
        } catch {
            if let signal = Mesh.terminatingSignal { return 128 + signal }
            FileHandle.standardError.write(Data("switchboardctl: \(error)\n".utf8))
            return 1
        }
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func client(_ arguments: Arguments, _ service: String, _ port: Int) throws -> LineClient {
        let text = arguments.options[service] ?? ProcessInfo.processInfo.environment["SWITCHBOARD_\(service.uppercased())"] ?? "127.0.0.1:\(port)"
        let parts = text.split(separator: ":")
        var options = LineClientOptions(host: parts.count == 2 ? String(parts[0]) : "127.0.0.1", port: UInt16(parts.last ?? "") ?? UInt16(port))
        options.token = try token(arguments)
        options.clientName = "switchboardctl"
        return LineClient(options: options)
    }

    /// The router instance of `location`: the one the partition file (`--partitions` or
    /// `SWITCHBOARD_PARTITIONS`) gives it, else the one `--router` names.
    static func routerClient(_ arguments: Arguments, location: String) throws -> LineClient {
        guard let path = arguments.options["partitions"] ?? ProcessInfo.processInfo.environment["SWITCHBOARD_PARTITIONS"] else {
            return try client(arguments, "router", 7102)
        }
        guard let address = try PartitionMap.load(path: path).address(of: location) else { throw CtlError("\(path): no router instance for \(location)") }
        var options = LineClientOptions(host: address.host, port: address.port)
        options.token = try token(arguments)
        options.clientName = "switchboardctl"
        return LineClient(options: options)
    }

    /// The line token of a mesh that requires one (the installed units do): from `--token-file
    /// FILE`, else `SWITCHBOARD_TOKEN` (or `$CREDENTIALS_DIRECTORY/token`); nil for an open mesh.
    /// Never from a flag carrying the token itself, which `ps` and the shell history would show.
    static func token(_ arguments: Arguments) throws -> String? {
        if arguments.options["token"] != nil {
            throw UsageError("--token is refused: a secret on the command line shows in ps and the shell history; use --token-file FILE or SWITCHBOARD_TOKEN")
        }
        if let path = arguments.options["token-file"] {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw CtlError("cannot read the token file \(path)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw CtlError("the token file \(path) is empty") }
            return token
        }
        return try Secrets(environment: ProcessInfo.processInfo.environment).value("token")
    }

    static func binaries(_ arguments: Arguments) -> URL {
        if let directory = arguments.options["bin-dir"] { return URL(fileURLWithPath: directory) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static func location(_ arguments: Arguments) throws -> String {
        guard let location = arguments.options["location"] ?? ProcessInfo.processInfo.environment["SWITCHBOARD_LOCATION"] else {
            throw UsageError("--location is required")
        }
        return location
    }

    static func word(_ arguments: Arguments, _ index: Int, _ name: String) throws -> String {
        guard index < arguments.words.count else { throw UsageError("missing \(name)") }
        return arguments.words[index]
    }

    static func printJSON(_ value: JSONValue) throws {
        print(String(decoding: try WireJSON.prettyEncoder.encode(value), as: UTF8.self))
    }

    static func dispatch(_ arguments: Arguments) async throws -> Int32 {
        let command = arguments.words[0]
        switch command {
        case "scenario":
            guard arguments.words.count >= 3, arguments.words[1] == "run" else { throw UsageError("scenario run FILE…") }
            let runner = ScenarioRunner(binaries: binaries(arguments), echoLogs: arguments.flags.contains("verbose"))
            var passed = 0
            var failed = 0
            for file in arguments.words.dropFirst(2) {
                do {
                    let (name, failure) = try await runner.run(file: file)
                    if let failure {
                        print("FAIL \(name): \(failure)")
                        failed += 1
                    } else {
                        print("PASS \(name)")
                        passed += 1
                    }
                } catch {
                    print("FAIL \(file): \(error)")
                    failed += 1
                }
            }
            print("\(passed) passed, \(failed) failed")
            return failed == 0 ? 0 : 1
        case "lint", "apply":
            guard let file = arguments.options["file"] else { throw UsageError("\(command) -f FILE") }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            let (_, report) = ConfigLinter.lint(bytes)
            for error in report.errors { print("\(file): error: \(error)") }
            for warning in report.warnings { print("\(file): warning: \(warning)") }
            guard report.errors.isEmpty else { return 1 }
            let (config, raw) = try ConfigApplier.load(bytes)
            if command == "lint" {
                print("\(file): valid configuration for \(config.location.id) (\(config.accounts.count) accounts, \(config.rules.count) rules, \(report.warnings.count) warnings)")
                return 0
            }
            for warning in await GoHighLevelCheck.warnings(config, notifier: try client(arguments, "notifier", 7104)) { print("\(file): warning: \(warning)") }
            try await ConfigApplier.apply(config, raw: raw, directory: try client(arguments, "directory", 7103), router: try routerClient(arguments, location: config.location.id))
            print("applied \(file) to \(config.location.id)")
            return 0
        case "get":
            let what = try word(arguments, 1, "what to get (contact, loads, config)")
            let router = try routerClient(arguments, location: try location(arguments))
            switch what {
            case "contact":
                try printJSON(try await router.call("router.contact", ["location": try location(arguments), "contact": try word(arguments, 2, "CONTACT")], as: JSONValue.self))
            case "contacts":
                var body: [String: JSONValue] = ["location": .string(try location(arguments))]
                if let owner = arguments.options["owner"] { body["owner"] = .string(owner) }
                try printJSON(try await router.call("router.contacts", JSONValue.object(body), as: JSONValue.self))
            case "users":
                try printJSON(try await client(arguments, "directory", 7103).call("directory.list_users", ["location": try location(arguments)], as: JSONValue.self))
            case "teams":
                try printJSON(try await client(arguments, "directory", 7103).call("directory.list_teams", ["location": try location(arguments)], as: JSONValue.self))
            case "accounts":
                let config = try await router.call("router.get_config", ["location": try location(arguments)], as: JSONValue.self)
                try printJSON(config["config"]?["accounts"] ?? .array([]))
            case "loads":
                try printJSON(try await router.call("router.loads", ["location": try location(arguments)], as: JSONValue.self))
            case "config":
                try printJSON(try await router.call("router.get_config", ["location": try location(arguments)], as: JSONValue.self))
            default:
                throw UsageError("unknown thing to get: \(what) (contacts, contact, users, teams, accounts, config, loads)")
            }
            return 0
        case "explain":
            struct Explained: Decodable { var sentences: [String] }
            let router = try routerClient(arguments, location: try location(arguments))
            let body = ["location": try location(arguments), "contact": try word(arguments, 1, "CONTACT")]
            if arguments.flags.contains("json") {
                try printJSON(try await router.call("router.explain", body, as: JSONValue.self))
            } else {
                for line in try await router.call("router.explain", body, as: Explained.self).sentences { print(line) }
            }
            return 0
        case "assign", "release", "unassign", "resolve", "tag", "drain":
            let router = try routerClient(arguments, location: try location(arguments))
            var body: [String: JSONValue] = ["location": .string(try location(arguments))]
            if command == "drain" {
                body["user"] = .string(try word(arguments, 1, "USER"))
            } else {
                body["contact"] = .string(try word(arguments, 1, "CONTACT"))
            }
            if command == "assign" { body["user"] = .string(try word(arguments, 2, "USER")) }
            if command == "tag" { body["tags"] = .array(arguments.words.dropFirst(2).map { .string($0) }) }
            try printJSON(try await router.call("router.\(command)", JSONValue.object(body), as: JSONValue.self))
            return 0
        case "inbox":
            var body: [String: JSONValue] = [:]
            if let status = arguments.options["status"] { body["status"] = .string(status) }
            try printJSON(try await client(arguments, "adapters", 7101).call("adapters.inbox", JSONValue.object(body), as: JSONValue.self))
            return 0
        case "deliveries":
            let notifier = try client(arguments, "notifier", 7104)
            if arguments.words.count > 1, arguments.words[1] == "retry" {
                try printJSON(try await notifier.call("notifier.retry", EmptyBody(), as: JSONValue.self))
            } else {
                var body: [String: JSONValue] = [:]
                if let status = arguments.options["status"] { body["status"] = .string(status) }
                try printJSON(try await notifier.call("notifier.list", JSONValue.object(body), as: JSONValue.self))
            }
            return 0
        case "directory" where arguments.words.count == 2 && arguments.words[1] == "sync":
            // GoHighLevel's user list, read by the notifier (it holds the tokens), merged by the directory.
            let location = try location(arguments)
            let users = try await client(arguments, "notifier", 7104).call("notifier.ghl_users", ["location": location], as: JSONValue.self, timeout: 60)
            try printJSON(try await client(arguments, "directory", 7103).call(
                "directory.import_ghl_users", JSONValue.object(["location": .string(location), "response": users]), as: JSONValue.self))
            return 0
        case "directory":
            guard arguments.words.count == 3, arguments.words[1] == "import-ghl" else { throw UsageError("directory sync | directory import-ghl FILE  (--location L)") }
            let response = try WireJSON.decode(JSONValue.self, from: Array(try Data(contentsOf: URL(fileURLWithPath: arguments.words[2]))))
            try printJSON(try await client(arguments, "directory", 7103).call(
                "directory.import_ghl_users", JSONValue.object(["location": .string(try location(arguments)), "response": response]), as: JSONValue.self))
            return 0
        case "report":
            let report: RoutingReport
            if let saved = arguments.options["from"] {
                report = try WireJSON.decoder.decode(RoutingReport.self, from: Data(contentsOf: URL(fileURLWithPath: saved)))
            } else {
                var body: [String: JSONValue] = ["location": .string(try location(arguments))]
                let days = Double((arguments.options["since"] ?? "7d").replacingOccurrences(of: "d", with: "")) ?? 7
                body["since"] = .string(RFC3339.format(Date().addingTimeInterval(-days * 86_400)))
                report = try await routerClient(arguments, location: try location(arguments)).call("router.report", JSONValue.object(body), as: RoutingReport.self)
            }
            if let file = arguments.options["html"] {
                try ReportPage.html(report).write(toFile: file, atomically: true, encoding: .utf8)
                print("wrote \(file)")
            } else if arguments.flags.contains("json") {
                print(String(decoding: try WireJSON.prettyEncoder.encode(report), as: UTF8.self))
            } else {
                print(ReportPage.table(report))
            }
            return 0
        case "simulate":
            guard let file = arguments.options["file"] else { throw UsageError("simulate -f NEW_CONFIG [--since 7d]") }
            let (config, raw) = try ConfigApplier.load(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            var body: [String: JSONValue] = ["config": raw]
            if let since = arguments.options["since"] {
                guard let days = Double(since.hasSuffix("d") ? String(since.dropLast()) : since) else { throw UsageError("--since takes days, e.g. 7d") }
                body["since"] = .string(RFC3339.format(Date().addingTimeInterval(-days * 86_400)))
            }
            let report = try await routerClient(arguments, location: config.location.id).call("router.simulate", JSONValue.object(body), as: JSONValue.self, timeout: 120)
            if arguments.flags.contains("json") {
                try printJSON(report)
                return 0
            }
            let events = Int(report["events"]?.doubleValue ?? 0)
            let reproduced = Int(report["reproduced"]?.doubleValue ?? 0)
            print("simulated \(events) messages of \(config.location.id) with \(file): \(reproduced) decided as before, \(Int(report["changedContacts"]?.doubleValue ?? 0)) contacts would change")
            if case .object(let timed)? = report["timed"], !timed.isEmpty {
                print("as time passed: " + timed.sorted { $0.key < $1.key }.map { "\(Int($0.value.doubleValue ?? 0)) \($0.key)" }.joined(separator: ", "))
            }
            let actual = report["actual"]
            let simulated = report["simulated"]
            var users = Set<String>()
            if case .object(let values)? = actual { users.formUnion(values.keys) }
            if case .object(let values)? = simulated { users.formUnion(values.keys) }
            print("user".padding(toLength: 20, withPad: " ", startingAt: 0) + "  actual  simulated")
            for user in users.sorted() {
                let left = Int(actual?[user]?.doubleValue ?? 0)
                let right = Int(simulated?[user]?.doubleValue ?? 0)
                print(user.padding(toLength: 20, withPad: " ", startingAt: 0) + "  " + String(left).leftPad(6) + "  " + String(right).leftPad(9))
            }
            for change in report["firstChanges"]?.arrayValue ?? [] {
                print("\n\(change["contact"]?.stringValue ?? ""): \(change["actual"]?.stringValue ?? "no one") → \(change["simulated"]?.stringValue ?? "no one")")
                for line in change["explanation"]?.arrayValue ?? [] { print("  \(line.stringValue ?? "")") }
            }
            return 0
        case "up":
            return try await Launcher.run(arguments)
        case "partition":
            return try await PartitionCommand.run(arguments)
        case "console":
            guard arguments.words.count == 2, arguments.words[1] == "hash-password" else { throw UsageError("console hash-password") }
            // From stdin, never an argument: `printf %s "$PASSWORD" | switchboardctl console hash-password`.
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let password = input.hasSuffix("\n") ? String(input.dropLast()) : input
            guard password.count >= 12 else { throw CtlError("the admin password must have at least 12 characters") }
            print(PasswordHash(password: password))
            return 0
        default:
            throw UsageError("unknown command \(command)")
        }
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
