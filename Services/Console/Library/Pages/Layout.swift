import Foundation
import SwitchboardDomain
import SwitchboardHTTP
import SwitchboardOperations

/// The frame every dashboard page shares: the location's navigation, a message line, the CSS.
/// Plain HTML forms, no script (the console's CSP allows none), readable on a phone.
enum Layout {
    enum Section: String, CaseIterable {
        case accounts = "Accounts"
        case team = "Team"
        case contacts = "Contacts"
        case report = "Report"

        var path: String { rawValue.lowercased() }
    }

    /// A message above the page's content.
    struct Notice {
        enum Kind: String { case success, error, warning }
        var kind: Kind
        var lines: [String]
    }

    static func page(
        title: String, location: String?, section: Section?, csrf: String?, notices: [Notice] = [], refreshSeconds: Int? = nil, status: Int = 200,
        body: String
    ) -> HTTPResponse {
        var navigation = ""
        if let location {
            let links = Section.allCases.map { item in
                let current = item == section ? " aria-current=\"page\"" : ""
                return "<a href=\"/locations/\(url(location))/\(item.path)\"\(current)>\(item.rawValue)</a>"
            }.joined()
            navigation = "<nav>\(links)</nav>"
        }
        let signOut = csrf.map { csrf in
            "<form method=\"post\" action=\"/logout\" class=\"inline\">\(hidden("csrf", csrf))<button class=\"link\">Sign out</button></form>"
        } ?? ""
        let messages = notices.map { notice in
            "<div class=\"notice \(notice.kind.rawValue)\" role=\"status\">\(notice.lines.map { "<p>\(escape($0))</p>" }.joined())</div>"
        }.joined()
        let refresh = refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\(refresh)
            <title>\(escape(title)) · Switchboard</title><style>\(css)</style></head>
            <body><header><a class="brand" href="/">Switchboard</a>\(location.map { "<span class=\"location\">\(escape($0))</span>" } ?? "")\(signOut)</header>
            \(navigation)<main><h1>\(escape(title))</h1>\(messages)
            \(body)
            </main></body></html>
            """
        return HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    /// A path segment: ids go into URLs percent-encoded (`+1555…` keeps its plus).
    static func url(_ segment: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(escape(name))\" value=\"\(escape(value))\">"
    }

    /// A `<select>` of `(value, label)` options with `selected` chosen.
    static func select(_ name: String, label: String, options: [(value: String, label: String)], selected: String?, id: String? = nil) -> String {
        let fieldID = id ?? name
        let items = options.map { option in
            "<option value=\"\(escape(option.value))\"\(option.value == selected ? " selected" : "")>\(escape(option.label))</option>"
        }.joined()
        return "<label for=\"\(escape(fieldID))\">\(escape(label))</label><select id=\"\(escape(fieldID))\" name=\"\(escape(name))\">\(items)</select>"
    }

    static let css = """
        :root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--accent:#2457c5;--ok:#1f7a3d;--bad:#b42318;--warn:#8a5a00}
        *{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);background:#f6f7f9}
        header{display:flex;gap:12px;align-items:center;padding:10px 16px;background:#fff;border-bottom:1px solid var(--line)}
        .brand{font-weight:700;color:var(--ink);text-decoration:none}.location{color:var(--muted)}header form{margin-left:auto}
        nav{display:flex;flex-wrap:wrap;gap:4px;padding:8px 16px;background:#fff;border-bottom:1px solid var(--line)}
        nav a{padding:6px 12px;border-radius:6px;color:var(--accent);text-decoration:none}nav a[aria-current]{background:var(--accent);color:#fff}
        main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:22px;margin:4px 0 16px}h2{font-size:18px;margin:24px 0 8px}
        table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:13px;color:var(--muted);font-weight:600}.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
        .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px;margin-bottom:16px}
        label{display:block;font-weight:600;margin:12px 0 4px}select,input[type=text],input[type=password],input[type=number],input[type=date],input[type=search]{width:100%;max-width:420px;padding:8px;font:inherit;border:1px solid var(--line);border-radius:6px;background:#fff}
        input[type=number]{max-width:100px}.check{display:flex;gap:8px;align-items:center;font-weight:400;margin:6px 0}
        button{font:inherit;padding:8px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
        button.secondary{background:#fff;color:var(--accent)}button.link{border:0;background:none;color:var(--accent);padding:0}
        .actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:16px}td .actions{margin-top:0}.inline{display:inline}
        .notice{border-radius:8px;padding:8px 12px;margin-bottom:16px;border:1px solid}.notice p{margin:4px 0}
        .notice.success{border-color:var(--ok);color:var(--ok);background:#eef8f1}.notice.error{border-color:var(--bad);color:var(--bad);background:#fdf0ef}
        .notice.warning{border-color:var(--warn);color:var(--warn);background:#fff8e6}.muted{color:var(--muted)}
        .pill{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:10px;font-size:13px;background:#eef1f6}.pill.ok{background:#e3f4e8;color:var(--ok)}.pill.bad{background:#fbe7e5;color:var(--bad)}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
        svg{max-width:100%;height:auto}fieldset,details{border:1px solid var(--line);border-radius:8px;margin:12px 0;padding:8px 12px}summary{cursor:pointer;font-weight:600}
        @media (max-width:600px){main{padding:10px}th,td{padding:6px;font-size:14px}.hide-narrow{display:none}}
        """
}
