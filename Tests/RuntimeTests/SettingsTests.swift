import Foundation
import Testing
import SwitchboardRuntime
import SwitchboardTestSupport

@Suite struct SettingsTests {
    static let keys = [
        Settings.Key("listen", default: "127.0.0.1:7100", help: "address"),
        Settings.Key("database", help: "path"),
        Settings.Key("max-line", default: "1048576", help: "bytes"),
    ]

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFileWhichWinsOverDefaults() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("settings.json")
        try Data(#"{"listen": "127.0.0.1:9000", "database": "/from/file", "max-line": 2048}"#.utf8).write(to: URL(fileURLWithPath: file))
        let settings = try Settings(
            arguments: ["--config", file, "--database=/from/flag"],
            environment: ["SWITCHBOARD_DATABASE": "/from/env", "SWITCHBOARD_LISTEN": "127.0.0.1:9100"],
            keys: Self.keys)
        #expect(settings.string("database") == "/from/flag")
        #expect(settings.string("listen") == "127.0.0.1:9100")
        #expect(try settings.int("max-line") == 2048)
        #expect(try settings.address("listen")?.port == 9100)
    }

    @Test(arguments: [
        (["--bogus", "1"], "unknown flag --bogus"),
        (["--listen"], "flag --listen needs a value"),
        (["positional"], "unexpected argument \"positional\""),
        (["--token", "x"], "--token is a secret"),
    ])
    func refusesBadArguments(arguments: [String], message: String) {
        #expect {
            try Settings(arguments: arguments, environment: [:], keys: Self.keys, secretNames: ["token"])
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func refusesUnknownKeysInTheFileAndBadValues() throws {
        let directory = TemporaryDirectory()
        let file = directory.file("typo.json")
        try Data(#"{"lisen": "x"}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: SettingsError.self) { try Settings(arguments: ["--config", file], environment: [:], keys: Self.keys) }
        let settings = try Settings(arguments: ["--max-line", "lots"], environment: [:], keys: Self.keys)
        #expect(throws: SettingsError.self) { try settings.int("max-line") }
    }

    @Test func secretsComeFromCredentialsBeforeTheEnvironment() throws {
        let directory = TemporaryDirectory()
        try Data("from-credential\n".utf8).write(to: URL(fileURLWithPath: directory.file("token")))
        let secrets = Secrets(environment: ["CREDENTIALS_DIRECTORY": directory.path, "SWITCHBOARD_TOKEN": "from-env", "SWITCHBOARD_OTHER": "env-only"])
        #expect(try secrets.value("token") == "from-credential")
        #expect(try secrets.value("other") == "env-only")
        #expect(try secrets.value("missing") == nil)
    }
}
