import SwitchboardDomain
import SwitchboardHTTP

/// Who is on the team now: active, away, on shift, open load against capacity, with the
/// toggles an admin flips during the day.
enum TeamPage {
    struct Member {
        var user: DirectoryUser
        /// Why the directory would not give them a contact now (empty: eligible).
        var reasons: [Ineligibility]
        var localTime: String?
        var openLoad: Int
    }

    static func render(location: String, members: [Member], teams: [Team], version: Int, csrf: String, notices: [Layout.Notice]) -> HTTPResponse {
        let rows = members.map { member in
            let user = member.user
            let offShift = member.reasons.contains { $0.code == .offShift }
            let state: String
            if !user.active {
                state = "<span class=\"pill bad\">inactive</span>"
            } else if user.away {
                state = "<span class=\"pill bad\">away</span>"
            } else {
                state = "<span class=\"pill ok\">active</span>"
            }
            let shift = offShift ? "<span class=\"pill\">off shift</span>" : "<span class=\"pill ok\">on shift</span>"
            let capacity = user.maxOpen.map { "\(member.openLoad) / \($0)" } ?? "\(member.openLoad)"
            let path = "/locations/\(Layout.url(location))/team/\(Layout.url(user.id))"
            func toggle(_ action: String, _ label: String) -> String {
                "<form method=\"post\" action=\"\(path)\" class=\"inline\">\(Layout.hidden("csrf", csrf))\(Layout.hidden("version", String(version)))<button class=\"secondary\" name=\"action\" value=\"\(action)\">\(label)</button></form>"
            }
            let toggles = [user.away ? toggle("back", "Back") : toggle("away", "Away"), user.active ? toggle("deactivate", "Deactivate") : toggle("activate", "Activate")]
            let teamNames = teams.filter { $0.members.contains(user.id) || $0.lead == user.id }.map(\.name).joined(separator: ", ")
            return """
                <tr id="user-\(Layout.escape(user.id))"><td><strong>\(Layout.escape(user.name))</strong><br><span class="muted">\(Layout.escape(teamNames))</span></td>
                <td>\(state)</td><td>\(shift)<br><span class="muted">\(Layout.escape(member.localTime ?? ""))</span></td><td>\(capacity)</td>
                <td><div class="actions">\(toggles.joined())</div></td></tr>
                """
        }.joined()
        let teamRows = teams.map { team in
            let path = "/locations/\(Layout.url(location))/teams/\(Layout.url(team.id))"
            let (state, action, label) = team.assignQueued
                ? ("<span class=\"pill ok\">handed out</span>", "hold-queue", "Let a person pick them up")
                : ("<span class=\"pill\">waits for a person</span>", "assign-queue", "Hand them out")
            let toggle = "<form method=\"post\" action=\"\(path)\" class=\"inline\">\(Layout.hidden("csrf", csrf))\(Layout.hidden("version", String(version)))<button class=\"secondary\" name=\"action\" value=\"\(action)\">\(label)</button></form>"
            return """
                <tr id="team-\(Layout.escape(team.id))"><td><strong>\(Layout.escape(team.name))</strong></td><td>\(state)</td><td><div class="actions">\(toggle)</div></td></tr>
                """
        }.joined()
        return Layout.page(
            title: "Team", location: location, section: .team, csrf: csrf, notices: notices,
            body: """
                <p class="muted">Away users keep their contacts but get no new ones; inactive users get none and are skipped by every rotation.</p>
                <div class="scroll"><table><thead><tr><th>User</th><th>Status</th><th>Shift now</th><th>Open / capacity</th><th></th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                <h2>Queued contacts</h2>
                <p class="muted">When no one in a team can take a contact, it waits in the team's queue. Handed out, the oldest goes to the first member who can take it (a conversation resolved, someone back from away); otherwise a person assigns it.</p>
                <div class="scroll"><table><thead><tr><th>Team</th><th>Its queue</th><th></th></tr></thead>
                <tbody>\(teamRows)</tbody></table></div>
                """)
    }
}
