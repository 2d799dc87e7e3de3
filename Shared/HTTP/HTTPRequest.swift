/// One parsed HTTP/1.1 request, with the raw body bytes kept exactly as received so webhook
/// signatures can be checked over them.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/webhooks/twilio?tenant=acme`.
    public var target: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, without the query.
    public var path: String {
        guard let question = target.firstIndex(of: "?") else { return target }
        return String(target[..<question])
    }

    /// The raw query string (after `?`), or empty.
    public var rawQuery: String {
        guard let question = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: question)...])
    }

    /// Query parameters, decoded, repeated keys kept in order.
    public var query: [(name: String, value: String)] { FormURLEncoding.decode(rawQuery) }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Whether the connection stays open after this request (HTTP/1.1 default, `Connection` header).
    public var keepAlive: Bool {
        let connection = header("Connection")?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }
}

extension String {
    /// Equality with ASCII letters compared without case, as header names are (RFC 9110 §5.1:
    /// they are tokens, ASCII only): byte by byte, without lowercasing two copies per header.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { left, right in
            left == right || (left | 0x20 == right | 0x20 && (left | 0x20) >= UInt8(ascii: "a") && (left | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
