import Foundation
import Testing
import SwitchboardCodec
import SwitchboardOperations
import SwitchboardDomain

@Suite struct ReportPageTests {
    static let report = """
        {"location": "loc_r", "timezone": "America/New_York", "since": "2026-10-31T00:00:00Z", "until": "2026-11-02T00:00:00Z",
         "users": [{"user": "u_a", "assigned": 3, "openNow": 3, "resolved": 0, "firstResponseP50": 60, "firstResponseP90": 120, "teamShare": 0.75},
                   {"user": "u_b", "assigned": 1, "openNow": 0, "resolved": 1, "firstResponseP50": 300, "firstResponseP90": 300, "teamShare": 0.25}],
         "accounts": [{"account": "acc_main", "inbound": 5, "newContacts": 4, "assigned": 4, "unassigned": {}},
                      {"account": "acc_none", "inbound": 1, "newContacts": 1, "assigned": 0, "unassigned": {"no_config": 1}}],
         "targets": [{"target": "team t (round_robin)", "assigned": {"u_a": 3, "u_b": 1}, "spread": 2}],
         "days": [{"day": "2026-10-31", "inbound": 1, "assigned": {"u_a": 1}, "unassigned": 0},
                  {"day": "2026-11-01", "inbound": 5, "assigned": {"u_a": 2, "u_b": 1}, "unassigned": 1}]}
        """

    @Test func thePageIsSelfContainedWithFourChartsThatCarryTheData() throws {
        let report = try WireJSON.decoder.decode(RoutingReport.self, from: Data(Self.report.utf8))
        let html = ReportPage.html(report)
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        for title in ["Assignments per user per day", "First-response time per user", "Workload balance per rotation target", "Unassigned by reason"] {
            let section = try #require(html.components(separatedBy: "<h2>\(title)</h2>").last?.components(separatedBy: "</section>").first)
            #expect(section.contains("<rect x="), "\(title) has no bars")
        }
        #expect(html.contains("u_a · p50: 60.0"))
        #expect(html.contains("acc_none · no_config: 1.0"))
    }

    @Test func theTableNamesEveryFigure() throws {
        let report = try WireJSON.decoder.decode(RoutingReport.self, from: Data(Self.report.utf8))
        let table = ReportPage.table(report)
        #expect(table.contains("u_a             3         3     0         60      120     75%"))
        #expect(table.contains("team t (round_robin): spread 2"))
        #expect(table.contains("2026-11-01  5         3         1"))
    }
}

/// The HTML report as a person sees it: rendered by headless Chromium (installed by `.ci/run`).
@Suite struct ReportRenderingTests {
    static func chromium(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.timeLimit(.minutes(2)))
    func chromiumRendersTheFourChartsWithTheirBars() throws {
        let report = try WireJSON.decoder.decode(RoutingReport.self, from: Data(ReportPageTests.report.utf8))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        try ReportPage.html(report).write(to: page, atomically: true, encoding: .utf8)

        let (status, dom) = try Self.chromium(["--dump-dom", page.absoluteString])
        #expect(status == 0)
        let charts = dom.components(separatedBy: "<svg").dropFirst()
        #expect(charts.count == 4)
        for chart in charts { #expect(chart.components(separatedBy: "</svg>")[0].contains("<rect x="), "a chart without bars") }

        let picture = folder.appendingPathComponent("report.png")
        let (shot, _) = try Self.chromium(["--window-size=800,1600", "--screenshot=\(picture.path)", page.absoluteString])
        #expect(shot == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: picture.path)[.size] as? NSNumber)?.intValue ?? 0
        #expect(size > 20_000, "screenshot of \(size) bytes looks blank")
    }
}
