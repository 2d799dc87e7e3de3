import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardHTTP

/// Contacts: a searchable list with owner and reason, and one contact's decisions explained
/// candidate by candidate, with the manual actions.
enum ContactsPage {
    struct Filter {
        var text = ""
        var owner = ""
        var openOnly = false
    }

    static func list(location: String, listed: ContactsResponse, users: [DirectoryUser], filter: Filter, csrf: String) -> HTTPResponse {
        let names = Dictionary(users.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let owners = [("", "anyone")] + users.map { ($0.id, $0.name) }
        let rows = listed.contacts.map { contact in
            """
            <tr><td><a href="/locations/\(Layout.url(location))/contacts/\(Layout.url(contact.address))">\(Layout.escape(contact.address))</a><br>
            <span class="muted">\(Layout.escape(contact.name ?? ""))</span></td>
            <td>\(Layout.escape(contact.owner.map { names[$0] ?? $0 } ?? "—"))\(contact.manual ? " <span class=\"pill\">manual</span>" : "")</td>
            <td>\(Layout.escape(listed.reasons[contact.address]?.rawValue ?? ""))</td>
            <td class="hide-narrow">\(Layout.escape(contact.lastAccount ?? ""))</td><td>\(contact.open ? "open" : "resolved")</td></tr>
            """
        }.joined()
        return Layout.page(
            title: "Contacts", location: location, section: .contacts, csrf: csrf,
            body: """
                <form method="get" class="card"><div class="grid">
                <div><label for="q">Search</label><input type="search" id="q" name="q" value="\(Layout.escape(filter.text))" placeholder="phone, id or name"></div>
                <div>\(Layout.select("owner", label: "Owner", options: owners, selected: filter.owner))</div></div>
                <div class="check"><input type="checkbox" id="open" name="open" value="true"\(filter.openOnly ? " checked" : "")><label class="check" for="open">Open only</label></div>
                <div class="actions"><button type="submit">Search</button></div></form>
                <div class="scroll"><table><thead><tr><th>Contact</th><th>Owner</th><th>Reason</th><th class="hide-narrow">Last account</th><th>State</th></tr></thead>
                <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">No contacts match.</td></tr>" : rows)</tbody></table></div>
                """)
    }

    static func detail(
        location: String, contact: ContactResponse, explanation: [String], users: [DirectoryUser], csrf: String, notices: [Layout.Notice]
    ) -> HTTPResponse {
        let state = contact.contact
        let names = Dictionary(users.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let path = "/locations/\(Layout.url(location))/contacts/\(Layout.url(state.address))"
        let assignable = users.filter { $0.active }.map { ($0.id, $0.name) }
        let facts = [
            ("Owner", state.owner.map { names[$0] ?? $0 } ?? "no one"), ("Assigned by", state.manual ? "an admin (manual, protected)" : "routing"),
            ("State", state.open ? "open" : "resolved"), ("Tags", state.tags.joined(separator: ", ")),
            ("Last account", state.lastAccount ?? ""), ("Last message", state.lastText ?? ""),
            ("Owners so far", state.ownerHistory.map { names[$0] ?? $0 }.joined(separator: ", ")),
        ].map { "<tr><th>\($0.0)</th><td>\(Layout.escape($0.1))</td></tr>" }.joined()
        let why = explanation.map { "<li>\(Layout.escape($0))</li>" }.joined()
        let history = contact.history.reversed().prefix(10).map { decision in
            let candidates = decision.trace.targets.map { target in
                let list = target.candidates.map { candidate in
                    let verdict = candidate.eligible ? "<span class=\"pill ok\">eligible</span>" : "<span class=\"pill bad\">\(Layout.escape(candidate.reasons.joined(separator: ", ")))</span>"
                    return "<li>\(Layout.escape(names[candidate.user] ?? candidate.user)) \(verdict)</li>"
                }.joined()
                return "<p><strong>\(Layout.escape(target.role))</strong>: \(Layout.escape(target.target))</p><ul>\(list)</ul>" + (target.pick.map { "<p class=\"muted\">\(Layout.escape($0))</p>" } ?? "")
            }.joined()
            let steps = (decision.trace.rules + decision.trace.steps).map { "<li>\(Layout.escape($0))</li>" }.joined()
            return """
                <div class="card"><p><strong>\(Layout.escape(RFC3339.format(decision.at)))</strong> · \(Layout.escape(decision.event)) ·
                \(Layout.escape(decision.user.map { names[$0] ?? $0 } ?? "no one")) · <span class="pill">\(Layout.escape(decision.reason.rawValue))</span></p>
                <ul>\(steps)</ul>\(candidates)</div>
                """
        }.joined()
        func action(_ name: String, _ label: String) -> String {
            "<form method=\"post\" action=\"\(path)\" class=\"inline\">\(Layout.hidden("csrf", csrf))<button class=\"secondary\" name=\"action\" value=\"\(name)\">\(label)</button></form>"
        }
        return Layout.page(
            title: state.name.map { "\($0) (\(state.address))" } ?? state.address, location: location, section: .contacts, csrf: csrf, notices: notices,
            body: """
                <div class="card"><table>\(facts)</table></div>
                <form method="post" action="\(path)" class="card">\(Layout.hidden("csrf", csrf))
                \(Layout.select("user", label: "Assign to (manual: routing will not move them)", options: assignable, selected: state.owner))
                <div class="actions"><button name="action" value="assign">Assign</button></div></form>
                <div class="actions">\(action("release", "Release to routing"))\(action("resolve", "Resolve"))</div>
                <h2>Why</h2><div class="card"><ul>\(why)</ul></div>
                <h2>Decisions, newest first</h2>\(history)
                """)
    }
}
