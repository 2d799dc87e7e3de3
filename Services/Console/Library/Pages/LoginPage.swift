import SwitchboardHTTP

/// The sign-in form: the admin password, nothing else.
enum LoginPage {
    static func render(error: String? = nil, status: Int = 200) -> HTTPResponse {
        Layout.page(
            title: "Sign in", location: nil, section: nil, csrf: nil, notices: error.map { [Layout.Notice(kind: .error, lines: [$0])] } ?? [], status: status,
            body: """
                <form method="post" action="/login" class="card">
                <label for="password">Admin password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
                <div class="actions"><button type="submit">Sign in</button></div>
                </form>
                """)
    }
}
