import Foundation
import Testing
import SwitchboardTestSupport

/// The end-to-end harness: `switchboardctl scenario run` over every scenario in
/// `../shared/scenarios`, each against a fresh mesh of the four real service binaries.
@Suite struct ScenarioHarnessTests {
    @Test(.timeLimit(.minutes(5)))
    func everySharedScenarioPassesThroughTheRealMesh() throws {
        let folder = SharedFiles.url("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 13)
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent().path
        let run = try ChildProcess("switchboardctl", ["scenario", "run", "--bin-dir", binaries] + files.map { folder.appendingPathComponent($0).path })
        let status = try run.waitForExit(timeout: 280)
        let output = run.stdoutLines
        #expect(status == 0, "\(output.joined(separator: "\n"))")
        #expect(output.last == "\(files.count) passed, 0 failed", "\(output.joined(separator: "\n"))")
        #expect(output.filter { $0.hasPrefix("PASS ") }.count == files.count)
    }
}
