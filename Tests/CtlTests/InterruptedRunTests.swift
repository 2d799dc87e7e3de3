import Foundation
import Testing
import SwitchboardTestSupport

/// A load run (or scenario run) interrupted with Ctrl-C must not leave its four services behind.
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
}
