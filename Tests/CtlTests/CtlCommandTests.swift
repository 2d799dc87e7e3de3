import Foundation
import SwitchboardNet
import Testing
import SwitchboardCtl
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardTestSupport

/// The real `switchboardctl` binary against a real mesh.
@Suite(.serialized) struct CtlCommandTests {
    static func ctl(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, [String]) {
        let process = try ChildProcess("switchboardctl", arguments, environment: environment)
        let status = try process.waitForExit(timeout: 60)
        return (status, process.stdoutLines + process.stderrLines)
    }

    @Test func usageErrorsExit64WithAClearMessage() throws {
        let (unknown, unknownOutput) = try Self.ctl(["frobnicate"])
        #expect(unknown == 64)
        #expect(unknownOutput.contains { $0.contains("unknown command frobnicate") })
        let (missing, missingOutput) = try Self.ctl(["get", "contact"])
        #expect(missing == 64)
        #expect(missingOutput.contains { $0.contains("--location is required") })
    }

    @Test func lintRefusesAnInvalidFileNamingThePlace() throws {
        let folder = TemporaryDirectory()
        let demo = try String(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json"), encoding: .utf8)
        try demo.replacingOccurrences(of: "\"team\": \"t_sales\", \"mode\": \"round_robin\"", with: "\"team\": \"t_salse\", \"mode\": \"round_robin\"")
            .write(toFile: folder.file("bad.json"), atomically: true, encoding: .utf8)
        let (status, output) = try Self.ctl(["lint", "-f", folder.file("bad.json")])
        #expect(status == 1)
        #expect(output.contains { $0.contains("accounts[0].assignment.target.team: unknown team \"t_salse\"") }, "\(output)")
    }

    @Test func applyThenReadBackThroughTheServices() async throws {
        let folder = TemporaryDirectory()
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
        let mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false)
        defer { mesh.stop() }
        let addresses = ["--router", "127.0.0.1:\(mesh.routerClient.options.port)", "--directory", "127.0.0.1:\(mesh.directoryClient.options.port)"]
        let demo = SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json").path
        let (applied, applyOutput) = try Self.ctl(["apply", "-f", demo] + addresses)
        #expect(applied == 0, "\(applyOutput)")
        let (again, _) = try Self.ctl(["apply", "-f", demo] + addresses)
        #expect(again == 0)
        let (usersStatus, users) = try Self.ctl(["get", "users", "--location", "loc_acme"] + addresses)
        #expect(usersStatus == 0 && users.joined().contains("\"u_alice\""))
        let (accountsStatus, accounts) = try Self.ctl(["get", "accounts", "--location", "loc_acme"] + addresses)
        #expect(accountsStatus == 0 && accounts.joined().contains("+15550001111"))
        let (contactsStatus, contacts) = try Self.ctl(["get", "contacts", "--location", "loc_acme"] + addresses)
        #expect(contactsStatus == 0 && contacts.joined().contains("\"contacts\""))
    }

    /// The installed mesh requires the line token: the CLI presents it from SWITCHBOARD_TOKEN or
    /// --token-file, refuses it as a plain flag, and without it is refused by the services.
    @Test func everyCommandWorksAgainstAMeshThatRequiresTheToken() async throws {
        let folder = TemporaryDirectory()
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
        let token = "mesh-" + UUID().uuidString
        let mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false, secrets: Mesh.Secrets(lineToken: token))
        defer { mesh.stop() }
        let addresses = [
            "--router", "127.0.0.1:\(mesh.routerClient.options.port)", "--directory", "127.0.0.1:\(mesh.directoryClient.options.port)",
            "--notifier", "127.0.0.1:\(mesh.notifierClient.options.port)", "--adapters", "127.0.0.1:\(mesh.adaptersClient.options.port)",
        ]
        let demo = SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json").path
        let withToken = ["SWITCHBOARD_TOKEN": token]

        let (refused, refusedOutput) = try Self.ctl(["apply", "-f", demo] + addresses)
        #expect(refused == 1 && refusedOutput.joined().contains("unauthorized"), "\(refusedOutput)")
        let (flag, flagOutput) = try Self.ctl(["get", "users", "--location", "loc_acme", "--token", token] + addresses)
        #expect(flag == 64 && flagOutput.joined().contains("--token is refused"))
        #expect(!flagOutput.joined().contains(token), "the refusal does not repeat the secret")

        let (applied, applyOutput) = try Self.ctl(["apply", "-f", demo] + addresses, environment: withToken)
        #expect(applied == 0, "\(applyOutput)")
        let message = InboundMessage(
            provider: "twilio", messageId: "SMtoken1", platform: .whatsapp, account: "+15550001111", contact: "+15551230077", text: "hi", at: Date())
        _ = try await mesh.routerClient.call("router.route", message, as: JSONValue.self)
        let (explained, explainOutput) = try Self.ctl(["explain", "+15551230077", "--location", "loc_acme"] + addresses, environment: withToken)
        #expect(explained == 0 && explainOutput.joined().contains("Decision:"), "\(explainOutput)")
        try token.write(toFile: folder.file("token"), atomically: true, encoding: .utf8)
        let fromFile = ["--token-file", folder.file("token")]
        let (assigned, assignOutput) = try Self.ctl(["assign", "+15551230077", "u_bob", "--location", "loc_acme"] + addresses + fromFile)
        #expect(assigned == 0, "\(assignOutput)")
        let (reported, reportOutput) = try Self.ctl(["report", "--location", "loc_acme", "--json"] + addresses + fromFile)
        #expect(reported == 0 && reportOutput.joined().contains("\"users\""), "\(reportOutput)")
    }
}
