/// An error as it travels on the wire: a stable code, a message for people, and whether to retry.
///
/// Services throw `WireError` from handlers; the server turns it into a failure line. Any other
/// error a handler throws becomes `internal` (retryable: nothing was committed).
public struct WireError: Error, Codable, Equatable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var retryable: Bool

    public init(_ code: ErrorCode, _ message: String, retryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable ?? code.isRetryable
    }

    enum CodingKeys: String, CodingKey {
        case code, message, retryable
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rawCode = try container.decode(String.self, forKey: .code)
        code = ErrorCode(rawValue: rawCode) ?? .internal
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? rawCode
        retryable = try container.decodeIfPresent(Bool.self, forKey: .retryable) ?? code.isRetryable
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func badRequest(_ message: String) -> WireError { WireError(.badRequest, message) }
    public static func notFound(_ message: String) -> WireError { WireError(.notFound, message) }
    public static func conflict(_ message: String) -> WireError { WireError(.conflict, message) }
    public static func unavailable(_ message: String) -> WireError { WireError(.unavailable, message) }
    public static func `internal`(_ message: String) -> WireError { WireError(.internal, message) }
}
