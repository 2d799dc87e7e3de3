/// The error codes of `PROTOCOL.md`, "Error codes". The raw value is the wire spelling.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unknownOp = "unknown_op"
    case unsupportedVersion = "unsupported_version"
    case unauthorized
    case notFound = "not_found"
    case conflict
    case lineTooLong = "line_too_long"
    case overloaded
    case unavailable
    case `internal`

    /// Whether a client should retry the same request (same idempotency key) after a delay.
    public var isRetryable: Bool {
        switch self {
        case .overloaded, .unavailable, .internal: true
        default: false
        }
    }
}
