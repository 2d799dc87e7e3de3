import Foundation
import SwitchboardDomain
import SwitchboardHTTP

/// The accounts list (each with its assignment in words) and one account's Assignment form.
enum AccountsPage {
    static func list(location: String, config: LocationConfig, csrf: String, notices: [Layout.Notice]) -> HTTPResponse {
        let rows = config.accounts.map { account in
            let assignment = account.assignment.map(describe) ?? "<span class=\"pill bad\">no assignment</span>"
            return """
                <tr><td><a href="/locations/\(Layout.url(location))/accounts/\(Layout.url(account.id))">\(Layout.escape(account.name))</a></td>
                <td>\(Layout.escape(account.platform.rawValue))</td><td class="hide-narrow">\(Layout.escape(account.address))</td><td>\(assignment)</td></tr>
                """
        }.joined()
        return Layout.page(
            title: "Accounts", location: location, section: .accounts, csrf: csrf, notices: notices,
            body: """
                <p class="muted">Each messaging account sends new contacts to its assignment. Open an account and choose Assignment to change it.</p>
                <div class="scroll"><table><thead><tr><th>Account</th><th>Platform</th><th class="hide-narrow">Address</th><th>Assignment</th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                """)
    }

    /// An assignment in one line of HTML.
    static func describe(_ assignment: Assignment) -> String {
        var parts = [Layout.escape(assignment.target.summary)]
        if !assignment.backup.isEmpty { parts.append("then " + assignment.backup.map { Layout.escape($0.summary) }.joined(separator: ", then ")) }
        if let afterHours = assignment.afterHours { parts.append("after hours: " + Layout.escape(afterHours.summary)) }
        return parts.joined(separator: "; ")
    }

    /// What the preview found: lint's verdict and simulate's replay of the last days.
    struct Preview {
        var warnings: [String]
        var simulation: SimulationReport?
        var days: Int
    }

    static func form(
        location: String, account: Account, config: LocationConfig, version: Int, form: AssignmentForm, csrf: String,
        notices: [Layout.Notice], preview: Preview?, status: Int = 200
    ) -> HTTPResponse {
        let users = config.users.filter { $0.active }
        let choices = AssignmentForm.choices(users: users, teams: config.teams, includePool: true)
        let chainChoices = [("", "— none —")] + AssignmentForm.choices(users: users, teams: config.teams, includePool: false)
        let targetChoices = [("", "— no assignment (each new contact needs a manual assignment) —")] + choices
        let members = users.map { user in
            let checked = form.poolMembers.contains(user.id) ? " checked" : ""
            return """
                <div class="check"><input type="checkbox" id="pool_\(Layout.escape(user.id))" name="pool_member" value="\(Layout.escape(user.id))"\(checked)>
                <label class="check" for="pool_\(Layout.escape(user.id))">\(Layout.escape(user.name))</label>
                <input type="number" min="1" name="weight_\(Layout.escape(user.id))" value="\(Layout.escape(form.weights[user.id] ?? "1"))" aria-label="weight of \(Layout.escape(user.name))"></div>
                """
        }.joined()
        let poolModes = [Target.Mode.roundRobin, .weighted, .leastLoaded].map { ($0.rawValue, AssignmentForm.modeLabel($0)) }
        let backups = (1...AssignmentForm.backupSlots).map { slot in
            Layout.select("backup_\(slot)", label: "Backup \(slot)", options: chainChoices, selected: form.backups[slot - 1])
        }.joined()
        let previewHTML = preview.map { render($0, config: config) } ?? ""
        let path = "/locations/\(Layout.url(location))/accounts/\(Layout.url(account.id))"
        return Layout.page(
            title: "\(account.name): Assignment", location: location, section: .accounts, csrf: csrf, notices: notices, status: status,
            body: """
                <p class="muted">\(Layout.escape(account.platform.rawValue)) · \(Layout.escape(account.address)) · tag \(Layout.escape(account.tag)) · configuration version \(version)</p>
                <form method="post" action="\(path)" class="card" id="assignment">
                \(Layout.hidden("csrf", csrf))\(Layout.hidden("version", String(version)))
                \(Layout.select("target", label: "Assign new contacts to", options: targetChoices, selected: form.target))
                <details\(form.target == "pool" ? " open" : "")><summary>Pool members and weights (when the target is a pool)</summary>
                \(Layout.select("pool_mode", label: "Pick by", options: poolModes, selected: form.poolMode))
                <p class="muted">Members, with their weights for a weighted pool:</p>\(members)</details>
                <fieldset><legend>Backup chain (tried in order when no one above can take the contact)</legend>\(backups)</fieldset>
                \(Layout.select("after_hours", label: "Outside business hours, assign to", options: chainChoices, selected: form.afterHours))
                <div class="check"><input type="checkbox" id="require_on_shift" name="require_on_shift"\(form.requireOnShift ? " checked" : "")>
                <label class="check" for="require_on_shift">Only users on shift now</label></div>
                <label for="require_skills">Only users with these skills (comma-separated, e.g. spanish)</label>
                <input type="text" id="require_skills" name="require_skills" value="\(Layout.escape(form.requireSkills))">
                <fieldset><legend>When the assignee does not reply</legend>
                <label for="reply_within">Re-assign after no reply within (e.g. 15m, 2h; empty: never)</label>
                <input type="text" id="reply_within" name="reply_within" value="\(Layout.escape(form.replyWithin))">
                \(Layout.select("reply_clock", label: "Counting", options: [("wall", "every minute"), ("business", "business hours only")], selected: form.replyClock))
                <label for="max_reassignments">Re-assign at most this many times, then tell the admins</label>
                <input type="number" min="0" max="20" id="max_reassignments" name="max_reassignments" value="\(Layout.escape(form.maxReassignments))"></fieldset>
                <div class="actions"><button type="submit" name="action" value="preview" class="secondary">Preview: what would change</button>
                <button type="submit" name="action" value="save">Save</button></div>
                </form>
                \(previewHTML)
                """)
    }

    static func render(_ preview: Preview, config: LocationConfig) -> String {
        var html = "<section class=\"card\" id=\"preview\"><h2>What would change</h2>"
        if preview.warnings.isEmpty {
            html += "<p>Lint found nothing to warn about.</p>"
        } else {
            html += "<div class=\"notice warning\">" + preview.warnings.map { "<p>\(Layout.escape($0))</p>" }.joined() + "</div>"
        }
        guard let simulation = preview.simulation else { return html + "</section>" }
        html += """
            <p>Replaying the last \(preview.days) days (\(simulation.events) messages): \(simulation.reproduced) decided as before,
            <strong>\(simulation.changedContacts) contacts would go elsewhere</strong>.</p>
            """
        if !simulation.timed.isEmpty {
            let words = ["sla_reassigned": "moved for want of a reply", "sla_escalated": "escalated to the admins", "dequeued": "taken from the queue"]
            html += "<p>As time passed: " + simulation.timed.sorted { $0.key < $1.key }
                .map { "\($0.value) \(Layout.escape(words[$0.key] ?? $0.key))" }.joined(separator: ", ") + ".</p>"
        }
        let users = Set(simulation.actual.keys).union(simulation.simulated.keys).sorted()
        let names = Dictionary(config.users.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        if !users.isEmpty {
            html += "<div class=\"scroll\"><table><thead><tr><th>User</th><th>As it happened</th><th>With this change</th></tr></thead><tbody>"
            for user in users {
                html += "<tr><td>\(Layout.escape(names[user] ?? user))</td><td>\(simulation.actual[user] ?? 0)</td><td>\(simulation.simulated[user] ?? 0)</td></tr>"
            }
            html += "</tbody></table></div>"
        }
        for change in simulation.firstChanges.prefix(5) {
            html += "<p><strong>\(Layout.escape(change.contact))</strong>: \(Layout.escape(change.actual ?? "no one")) → \(Layout.escape(change.simulated ?? "no one"))</p>"
        }
        return html + "</section>"
    }
}
