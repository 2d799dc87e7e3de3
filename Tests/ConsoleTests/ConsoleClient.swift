import Foundation
import SwitchboardTestSupport

/// A browser-less client of the console for tests: one fresh connection per request, the
/// session cookie and CSRF token carried by hand, so each test says exactly which headers a
/// request has.
final class ConsoleClient: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    let port: UInt16
    var cookie: String?
    var csrf: String?

    init(port: UInt16) {
        self.port = port
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    @discardableResult
    func request(
        _ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil, headers: [(String, String)] = [],
        withCookie: Bool = true, withCSRF: Bool = true
    ) async throws -> HTTPResponseText {
        let connection = try await RawConnection(port: port, receiveTimeout: 60)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if withCookie, let cookie { head += "Cookie: \(cookie)\r\n" }
        if withCSRF, let csrf, method != "GET" { head += "X-CSRF-Token: \(csrf)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try await connection.send(Array((head + "\r\n").utf8) + body)
        guard let response = try await connection.readHTTPResponse() else { throw TestFailure("the console closed without answering \(method) \(path)") }
        return response
    }

    func json(_ method: String, _ path: String, _ object: Any, headers: [(String, String)] = []) async throws -> HTTPResponseText {
        let body = Array(try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]))
        return try await request(method, path, body: body, contentType: "application/json", headers: headers)
    }

    /// Signs in through the API; keeps the cookie and the CSRF token.
    func signIn(_ password: String) async throws -> HTTPResponseText {
        let response = try await json("POST", "/api/session", ["password": password])
        if response.status == 200 {
            cookie = response.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
            csrf = try response.object()["csrf"] as? String
        }
        return response
    }
}

extension HTTPResponseText {
    func header(_ name: String) -> String? {
        head.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    func object() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { throw TestFailure("not a JSON object: \(body)") }
        return object
    }

    /// `error.field` / `error.code` of a refusal.
    var errorField: String? { ((try? object())?["error"] as? [String: Any])?["field"] as? String }
    var errorCode: String? { ((try? object())?["error"] as? [String: Any])?["code"] as? String }
}
