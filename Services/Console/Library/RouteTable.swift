import SwitchboardHTTP

/// Paths with `*` segments, matched in order: the first route whose pattern and method match
/// answers, with the segments `*` stood for; a path that matches only under other methods is
/// 405 naming them; anything else is 404.
struct RouteTable {
    typealias Handler = ([String]) async throws -> HTTPResponse

    private var routes: [(method: String, pattern: [Substring], handler: Handler)] = []

    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append((method, pattern.split(separator: "/"), handler))
    }

    func dispatch(_ method: String, _ path: [String]) async throws -> HTTPResponse {
        var allowed: [String] = []
        for route in routes {
            guard let captured = Self.match(path, route.pattern) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") { return try await route.handler(captured) }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            throw ConsoleError(status: 405, code: "method_not_allowed", message: "use \(allowed.joined(separator: ", ")) on this path")
        }
        throw ConsoleError.notFound("nothing at /\(path.joined(separator: "/"))")
    }

    static func match(_ path: [String], _ pattern: [Substring]) -> [String]? {
        guard path.count == pattern.count else { return nil }
        var captured: [String] = []
        for (segment, expected) in zip(path, pattern) {
            if expected == "*" {
                guard !segment.isEmpty else { return nil }
                captured.append(segment)
            } else if segment != expected {
                return nil
            }
        }
        return captured
    }
}
