import Foundation
import Testing
import SwitchboardCtl
import SwitchboardTestSupport

/// A load run (or scenario run) interrupted with Ctrl-C, or a mesh that fails to start, must not
/// leave its services behind.
@Suite struct InterruptedRunTests {
    /// The processes whose parent is `parent`, read from /proc.
    private func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent ? pid : nil
        }
    }

    private func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    @Test(.timeLimit(.minutes(2)))
    func anInterruptedLoadRunStopsItsServices() async throws {
        let run = try ChildProcess("switchboard-loadgen", ["--seconds", "120", "--rate", "5", "--connections", "1", "--locations", "1"])
        var services: [Int32] = []
        let started = try await eventually(timeout: 60, every: .milliseconds(50)) {
            services = children(of: run.pid)
            return services.count >= 4
        }
        guard started else { throw TestFailure("the load run started \(services.count) of 4 services") }
        run.signal(SIGINT)
        #expect(try run.waitForExit(timeout: 30) == 128 + SIGINT)
        #expect(try await eventually(timeout: 20, every: .milliseconds(50)) { !services.contains(where: isRunning) })
    }

    /// The processes whose command line mentions `text`, read from /proc.
    private func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).contains(text) ? pid : nil
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aMeshWhoseNotifierCannotStartStopsTheServicesStartedBeforeIt() throws {
        let folder = TemporaryDirectory()
        let real = try BuildProducts.executable("switchboard-directory").deletingLastPathComponent()
        let binaries = folder.file("bin")
        try FileManager.default.createDirectory(atPath: binaries, withIntermediateDirectories: true)
        for name in ["directory", "router", "adapters"] {
            try FileManager.default.createSymbolicLink(
                atPath: binaries + "/switchboard-\(name)", withDestinationPath: real.appendingPathComponent("switchboard-\(name)").path)
        }
        // The notifier, started second, refuses to start.
        try "#!/bin/sh\necho 'error: cannot open the database' >&2\nexit 1\n".write(toFile: binaries + "/switchboard-notifier", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binaries + "/switchboard-notifier")
        let state = folder.file("state")

        #expect(throws: CtlError.self) { try Mesh(binaries: URL(fileURLWithPath: binaries), stateFolder: state, testClock: false) }
        // The directory had started and reported its port before the notifier failed: `Mesh`
        // stopped it (and waited for its exit) before throwing.
        let left = processes(mentioning: state + "/directory.sqlite")
        #expect(left.isEmpty)
        // Should it regress, the orphan must not outlive the test (it holds the runner's output open).
        for pid in left { kill(pid, SIGKILL) }
    }
}
