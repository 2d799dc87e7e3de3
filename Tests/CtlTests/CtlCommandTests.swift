import Foundation
import SwitchboardNet
import Testing
import SwitchboardCtl
import SwitchboardTestSupport

/// The real `switchboardctl` binary against a real mesh.
@Suite(.serialized) struct CtlCommandTests {
    static func ctl(_ arguments: [String]) throws -> (Int32, [String]) {
        let process = try ChildProcess("switchboardctl", arguments)
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
}
