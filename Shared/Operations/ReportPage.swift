import Foundation
public import SwitchboardDomain

/// `switchboardctl report --html FILE`: one self-contained page (no network, no scripts) with
/// four SVG charts: assignments per user per day (stacked bars), first-response time per user
/// (p50 and p90 bars), workload balance per rotation target, unassigned contacts by reason.
public enum ReportPage {
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    static func escape(_ text: String) -> String { HTML.escape(text) }

    /// A bar chart: one bar per label, each bar a stack of (series, value) segments.
    static func bars(title: String, unit: String, bars: [(label: String, segments: [(series: String, value: Double)])], series: [String]) -> String {
        let width = 720.0
        let height = 260.0
        let left = 60.0
        let bottom = 40.0
        let maximum = max(1, bars.map { $0.segments.reduce(0) { $0 + $1.value } }.max() ?? 1)
        let slot = bars.isEmpty ? 0 : (width - left - 20) / Double(bars.count)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<line x1=\"\(left)\" y1=\"10\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - 10)\" y2=\"\(height - bottom)\" stroke=\"#444\"/>"
        svg += "<text x=\"4\" y=\"20\" font-size=\"11\">\(String(format: "%.0f", maximum)) \(escape(unit))</text>"
        for (index, bar) in bars.enumerated() {
            var y = height - bottom
            let x = left + Double(index) * slot + slot * 0.15
            for segment in bar.segments where segment.value > 0 {
                let size = segment.value / maximum * (height - bottom - 20)
                y -= size
                let color = palette[(series.firstIndex(of: segment.series) ?? 0) % palette.count]
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(String(format: "%.1f", y))\" width=\"\(String(format: "%.1f", slot * 0.7))\" height=\"\(String(format: "%.1f", size))\" fill=\"\(color)\"><title>\(escape(bar.label)) · \(escape(segment.series)): \(String(format: "%.1f", segment.value))</title></rect>"
            }
            svg += "<text x=\"\(String(format: "%.1f", x))\" y=\"\(height - bottom + 16)\" font-size=\"11\">\(escape(bar.label))</text>"
        }
        var legendX = left
        for (index, name) in series.enumerated() {
            svg += "<rect x=\"\(legendX)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            svg += "<text x=\"\(legendX + 14)\" y=\"\(height - 5)\" font-size=\"11\">\(escape(name))</text>"
            legendX += 20 + Double(name.count) * 7
        }
        return "<section><h2>\(escape(title))</h2>\(svg)</svg></section>"
    }

    /// The four charts as `<section>`s, for a page of its own or the console's report page.
    public static func charts(_ report: RoutingReport) -> String {
        let users = report.users.map(\.user)
        let perDay = bars(title: "Assignments per user per day", unit: "assignments",
                          bars: report.days.map { day in (day.day, users.map { ($0, Double(day.assigned[$0] ?? 0)) }) }, series: users)
        let responses = bars(title: "First-response time per user", unit: "seconds",
                             bars: report.users.map { ($0.user, [("p50", $0.firstResponseP50 ?? 0), ("p90 − p50", max(0, ($0.firstResponseP90 ?? 0) - ($0.firstResponseP50 ?? 0)))]) },
                             series: ["p50", "p90 − p50"])
        let members = Array(Set(report.targets.flatMap { $0.assigned.keys })).sorted()
        let balance = bars(title: "Workload balance per rotation target", unit: "assignments",
                           bars: report.targets.map { target in (target.target, members.map { ($0, Double(target.assigned[$0] ?? 0)) }) }, series: members)
        let reasons = Array(Set(report.accounts.flatMap { $0.unassigned.keys })).sorted()
        let unassigned = bars(title: "Unassigned by reason", unit: "contacts",
                              bars: report.accounts.map { account in (account.account, reasons.map { ($0, Double(account.unassigned[$0] ?? 0)) }) }, series: reasons)
        return [perDay, responses, balance, unassigned].joined(separator: "\n")
    }

    public static func html(_ report: RoutingReport) -> String {
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Switchboard report \(escape(report.location))</title>
            <style>body{font-family:sans-serif;margin:24px;color:#222}section{margin-bottom:28px}h2{font-size:16px}</style></head>
            <body><h1>Routing report: \(escape(report.location))</h1>
            <p>\(escape(ISO8601DateFormatter().string(from: report.since))) to \(escape(ISO8601DateFormatter().string(from: report.until))), days in \(escape(report.timezone)).</p>
            \(charts(report))
            </body></html>
            """
    }

    /// The readable table `switchboardctl report` prints by default.
    public static func table(_ report: RoutingReport) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        var lines = ["Routing report for \(report.location) (\(report.timezone))", "", pad("user", 16) + pad("assigned", 10) + pad("open", 6) + pad("resolved", 10) + pad("p50 s", 8) + pad("p90 s", 8) + "team share"]
        for user in report.users {
            lines.append(pad(user.user, 16) + pad(String(user.assigned), 10) + pad(String(user.openNow), 6) + pad(String(user.resolved), 10)
                         + pad(user.firstResponseP50.map { String(Int($0)) } ?? "-", 8) + pad(user.firstResponseP90.map { String(Int($0)) } ?? "-", 8)
                         + (user.teamShare.map { String(format: "%.0f%%", $0 * 100) } ?? "-"))
        }
        lines += ["", pad("account", 16) + pad("inbound", 10) + pad("new", 6) + pad("assigned", 10) + "unassigned"]
        for account in report.accounts {
            lines.append(pad(account.account, 16) + pad(String(account.inbound), 10) + pad(String(account.newContacts), 6) + pad(String(account.assigned), 10)
                         + account.unassigned.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        lines += ["", "rotation targets:"]
        for target in report.targets { lines.append("  \(target.target): spread \(target.spread) (\(target.assigned.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))") }
        lines += ["", pad("day", 12) + pad("inbound", 10) + pad("assigned", 10) + "unassigned"]
        for day in report.days { lines.append(pad(day.day, 12) + pad(String(day.inbound), 10) + pad(String(day.assigned.values.reduce(0, +)), 10) + String(day.unassigned)) }
        return lines.joined(separator: "\n")
    }
}
