import Foundation
import Testing
import SwitchboardTestSupport

/// The end-to-end harness: `switchboardctl scenario run` over every scenario in
/// `../shared/scenarios` and the repository's `scenarios/`, each against a fresh mesh of the
/// four real service binaries.
@Suite struct ScenarioHarnessTests {
    @Test(.timeLimit(.minutes(5)))
    func everySharedScenarioPassesThroughTheRealMesh() throws {
        let files = try SharedFiles.scenarioFiles()
        #expect(files.count >= 19)
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent().path
        let run = try ChildProcess("switchboardctl", ["scenario", "run", "--bin-dir", binaries] + files)
        let status = try run.waitForExit(timeout: 280)
        let output = run.stdoutLines
        #expect(status == 0, "\(output.joined(separator: "\n"))")
        #expect(output.last == "\(files.count) passed, 0 failed", "\(output.joined(separator: "\n"))")
        #expect(output.filter { $0.hasPrefix("PASS ") }.count == files.count)
    }
}
