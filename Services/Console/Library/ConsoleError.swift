import Foundation
import SwitchboardCodec
import SwitchboardHTTP
import SwitchboardOperations

/// A request the console refuses, with the HTTP status and a JSON body that names the field:
/// `{"error": {"code": "invalid_config", "message": "…", "field": "accounts[0].assignment.target.user",
/// "errors": [{"field": …, "message": …}], "warnings": […]}}`.
struct ConsoleError: Error, CustomStringConvertible {
    /// One problem at one place of a document.
    struct Problem: Encodable, Sendable {
        var field: String?
        var message: String
    }

    var status: Int
    var code: String
    var message: String
    var field: String?
    var problems: [Problem] = []
    var warnings: [String] = []
    var retryAfter: Int?

    var description: String { field.map { "\($0): \(message)" } ?? message }

    static func badRequest(_ message: String, field: String? = nil) -> ConsoleError {
        ConsoleError(status: 400, code: "bad_request", message: message, field: field)
    }

    static func notFound(_ message: String) -> ConsoleError { ConsoleError(status: 404, code: "not_found", message: message) }
    static func conflict(_ message: String) -> ConsoleError { ConsoleError(status: 409, code: "conflict", message: message) }
    static let unauthorized = ConsoleError(status: 401, code: "unauthorized", message: "sign in first: POST /api/session with the admin password")
    static let csrfRefused = ConsoleError(
        status: 403, code: "csrf", message: "a write needs the session's CSRF token (X-CSRF-Token header or csrf form field) and the console's own Origin")

    /// Lint's errors: the first names the field; all are listed.
    static func invalid(_ report: ConfigLinter.Report) -> ConsoleError {
        let problems = report.errors.map(Problem.init(lintMessage:))
        return ConsoleError(
            status: 422, code: "invalid_config", message: problems.first?.message ?? "invalid configuration", field: problems.first?.field,
            problems: problems, warnings: report.warnings)
    }

    /// A decoding failure of a request body, with the field `WireJSON.describe` names.
    static func undecodable(_ error: any Error) -> ConsoleError {
        guard let decoding = error as? DecodingError else { return badRequest("malformed JSON: \(error)") }
        let problem = Problem(field: fieldPath(of: decoding), message: WireJSON.describe(decoding))
        return ConsoleError(status: 400, code: "bad_request", message: problem.message, field: problem.field, problems: [problem])
    }

    /// `accounts[0].assignment.target`: where a decoding failure is, as lint names places.
    static func fieldPath(of error: DecodingError) -> String? {
        let components: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): components = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): components = context.codingPath
        @unknown default: return nil
        }
        guard !components.isEmpty else { return nil }
        return components.reduce(into: "") { text, component in
            if let index = component.intValue { text += "[\(index)]" } else { text += text.isEmpty ? component.stringValue : "." + component.stringValue }
        }
    }

    /// A service's refusal passed on with the status that fits it.
    static func from(_ error: any Error) -> ConsoleError {
        if let error = error as? ConsoleError { return error }
        if let error = error as? InvalidConfiguration { return invalid(ConfigLinter.Report(errors: error.errors)) }
        if let wire = error as? WireError {
            switch wire.code {
            case .badRequest: return badRequest(wire.message)
            case .notFound: return notFound(wire.message)
            case .conflict: return conflict(wire.message)
            default: return ConsoleError(status: 503, code: "unavailable", message: "the mesh refused: \(wire.description)")
            }
        }
        return ConsoleError(status: 503, code: "unavailable", message: "the mesh did not answer: \(error)")
    }

    var response: HTTPResponse {
        struct Body: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?
                var errors: [Problem]?
                var warnings: [String]?
            }
            var error: Detail
        }
        let body = Body(error: .init(code: code, message: message, field: field, errors: problems.isEmpty ? nil : problems,
                                     warnings: warnings.isEmpty ? nil : warnings))
        var response = HTTPResponse.json(status, (try? WireJSON.encode(body)) ?? Array("{\"error\":{\"code\":\"\(code)\"}}".utf8))
        if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
        return response
    }
}

extension ConsoleError.Problem {
    /// Splits lint's `place: message` form; a decoding failure's `missing field PLACE` and
    /// `field PLACE …` name their place too.
    init(lintMessage: String) {
        for prefix in ["missing field ", "field "] where lintMessage.hasPrefix(prefix) {
            let place = lintMessage.dropFirst(prefix.count).prefix { $0 != " " }
            if !place.isEmpty {
                self.init(field: String(place), message: lintMessage)
                return
            }
        }
        if let colon = lintMessage.range(of: ": "), !lintMessage[..<colon.lowerBound].contains(" ") {
            self.init(field: String(lintMessage[..<colon.lowerBound]), message: String(lintMessage[colon.upperBound...]))
        } else {
            self.init(field: nil, message: lintMessage)
        }
    }
}
