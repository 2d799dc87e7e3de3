import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardOperations

/// The routing report for a date range: the same four charts as `switchboardctl report --html`,
/// with the per-user table; refreshed every minute while open.
enum ReportView {
    static func render(location: String, report: RoutingReport, since: Date, until: Date, csrf: String) -> HTTPResponse {
        let users = report.users.map { user in
            """
            <tr><td>\(Layout.escape(user.user))</td><td>\(user.assigned)</td><td>\(user.openNow)</td><td>\(user.resolved)</td>
            <td>\(user.firstResponseP50.map { "\(Int($0)) s" } ?? "—")</td><td class="hide-narrow">\(user.firstResponseP90.map { "\(Int($0)) s" } ?? "—")</td></tr>
            """
        }.joined()
        let day = { (date: Date) in String(RFC3339.format(date).prefix(10)) }
        return Layout.page(
            title: "Report", location: location, section: .report, csrf: csrf, refreshSeconds: 60,
            body: """
                <form method="get" class="card"><div class="grid">
                <div><label for="since">From</label><input type="date" id="since" name="since" value="\(day(since))"></div>
                <div><label for="until">To</label><input type="date" id="until" name="until" value="\(day(until.addingTimeInterval(-1)))"></div></div>
                <div class="actions"><button type="submit">Show</button></div></form>
                <p class="muted">\(Layout.escape(RFC3339.format(report.since))) to \(Layout.escape(RFC3339.format(report.until))); days in \(Layout.escape(report.timezone)). Refreshes every minute.</p>
                <div class="scroll"><table><thead><tr><th>User</th><th>Assigned</th><th>Open</th><th>Resolved</th><th>First reply p50</th><th class="hide-narrow">p90</th></tr></thead>
                <tbody>\(users)</tbody></table></div>
                <div class="card">\(ReportPage.charts(report))</div>
                """)
    }
}
