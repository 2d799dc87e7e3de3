import Foundation
import Testing
import SwitchboardTestSupport

/// `deploy/systemd`: the units verify, their exposure is low, and they start the real binaries.
@Suite struct SystemdUnitTests {
    static let services = ["directory", "notifier", "router", "adapters", "console"]

    static func deployFile(_ path: String) -> URL {
        SharedFiles.repositoryRoot.appendingPathComponent("deploy").appendingPathComponent(path)
    }

    static func run(_ arguments: [String], in folder: String) throws -> (Int32, String) {
        try runToCompletion(arguments[0], Array(arguments.dropFirst()), in: folder)
    }

    /// The units with `ExecStart` pointing at the binaries this build produced.
    static func stageUnits() throws -> TemporaryDirectory {
        let folder = TemporaryDirectory()
        for service in services {
            let unit = try String(contentsOf: deployFile("systemd/switchboard-\(service).service"), encoding: .utf8)
            let binary = try BuildProducts.executable("switchboard-\(service)").path
            try unit.replacingOccurrences(of: "/usr/local/bin/switchboard-\(service)", with: binary)
                .write(toFile: folder.file("switchboard-\(service).service"), atomically: true, encoding: .utf8)
        }
        try FileManager.default.copyItem(atPath: deployFile("systemd/switchboard.target").path, toPath: folder.file("switchboard.target"))
        return folder
    }

    @Test func everyUnitPassesSystemdAnalyzeVerify() throws {
        let folder = try Self.stageUnits()
        let units = Self.services.map { "switchboard-\($0).service" } + ["switchboard.target"]
        let (status, output) = try Self.run(["systemd-analyze", "verify"] + units, in: folder.path)
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(output)")
    }

    @Test(arguments: services)
    func exposureScoreIsAtMostTwo(service: String) throws {
        let folder = try Self.stageUnits()
        let (_, output) = try Self.run(["systemd-analyze", "security", "--offline=true", "switchboard-\(service).service"], in: folder.path)
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(score <= 2.0, "\(line)")
    }

    @Test(arguments: services)
    func unitsOrderTheMeshAndLoadSecretsAsCredentials(service: String) throws {
        let unit = try String(contentsOf: Self.deployFile("systemd/switchboard-\(service).service"), encoding: .utf8)
        #expect(unit.contains("Type=notify"))
        #expect(unit.contains("WatchdogSec="))
        #expect(unit.contains("DynamicUser=yes"))
        #expect(unit.contains("StateDirectory=switchboard/\(service)"))
        // The console has no line port of its own: its secret is the admin password's hash.
        #expect(unit.contains(service == "console" ? "LoadCredential=console-password-hash:" : "LoadCredential=token:"))
        let execStart = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        #expect(!execStart.contains("token") && !execStart.contains("secret"))
        let order = ["directory": [], "notifier": ["switchboard-directory"], "router": ["switchboard-directory", "switchboard-notifier"], "adapters": ["switchboard-router"],
                     "console": ["switchboard-router", "switchboard-directory"]]
        for dependency in order[service] ?? [] { #expect(unit.contains("\(dependency).service")) }
        let config = try Data(contentsOf: Self.deployFile("config/\(service).json"))
        #expect((try JSONSerialization.jsonObject(with: config) as? [String: Any])?["listen"] != nil)
    }

    @Test func installScriptRefusesToRunWithoutRoot() throws {
        let script = Self.deployFile("install.sh").path
        let (status, output) = try Self.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", script], in: "/tmp")
        #expect(status == 1, "\(output)")
        #expect(output.contains("run as root"))
    }
}
