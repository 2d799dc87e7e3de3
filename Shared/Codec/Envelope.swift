import Foundation

/// The protocol version this codec speaks (`PROTOCOL.md`, "Messages").
public let protocolVersion = 1

/// The head of a request line: version, id and op, read before the body is decoded.
///
/// Decoding is lenient about the id so that a request with a bad `op` or `v` can still be
/// answered with its own id; a line that is not a JSON object yields ``parse(_:)``'s failure with
/// a null id, as the protocol requires.
public struct RequestHead: Sendable, Equatable {
    public var id: String
    public var op: String

    /// Reads the head of `line`.
    ///
    /// - Returns: the head, or a failure carrying the id to answer with (nil when none could be read).
    public static func parse(_ line: [UInt8]) -> Result<RequestHead, RequestFailure> {
        let raw: RawHead
        do {
            raw = try WireJSON.decoder.decode(RawHead.self, from: Data(line))
        } catch {
            return .failure(RequestFailure(id: nil, error: .badRequest("not a JSON object")))
        }
        guard let id = raw.id else {
            return .failure(RequestFailure(id: nil, error: .badRequest(raw.idIsMistyped ? "field id has the wrong type (expected string)" : "missing field id")))
        }
        if let problem = raw.versionProblem {
            return .failure(RequestFailure(id: id, error: problem))
        }
        guard let op = raw.op else {
            return .failure(RequestFailure(id: id, error: .badRequest(raw.opIsMistyped ? "field op has the wrong type (expected string)" : "missing field op")))
        }
        return .success(RequestHead(id: id, op: op))
    }

    private struct RawHead: Decodable {
        var id: String?
        var idIsMistyped = false
        var op: String?
        var opIsMistyped = false
        var versionProblem: WireError?

        enum CodingKeys: String, CodingKey { case v, id, op }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try? container.decodeIfPresent(String.self, forKey: .id)
            idIsMistyped = id == nil && container.contains(.id) && (try? container.decodeNil(forKey: .id)) == false
            op = try? container.decodeIfPresent(String.self, forKey: .op)
            opIsMistyped = op == nil && container.contains(.op)
            if !container.contains(.v) {
                versionProblem = .badRequest("missing field v")
            } else if let version = try? container.decode(Int.self, forKey: .v) {
                if version != protocolVersion {
                    versionProblem = WireError(.unsupportedVersion, "protocol version \(version) is not supported (this service speaks \(protocolVersion))")
                }
            } else {
                versionProblem = .badRequest("field v has the wrong type (expected number)")
            }
        }
    }
}

/// A request that could not be accepted, with the id to answer it under.
public struct RequestFailure: Error, Sendable, Equatable {
    public var id: String?
    public var error: WireError

    public init(id: String?, error: WireError) {
        self.id = id
        self.error = error
    }
}

/// A request body for ops that take none.
public struct EmptyBody: Codable, Sendable, Equatable {
    public init() {}
}

/// Encoding and decoding of whole protocol lines. Every line ends with `\n`.
public enum Envelope {
    /// Decodes the `body` of a request or response line as `T`.
    ///
    /// An absent or null `body` is decoded as `{}`, so ops whose body fields are all optional
    /// accept a bare request; a required field then reports `missing field body.x`.
    public static func decodeBody<T: Decodable>(_ type: T.Type, from line: [UInt8]) throws(WireError) -> T {
        let wrapper = try WireJSON.decode(BodyWrapper<T>.self, from: line)
        if let body = wrapper.body { return body }
        return try WireJSON.decode(T.self, from: Array("{}".utf8), path: "body")
    }

    private struct BodyWrapper<T: Decodable>: Decodable {
        var body: T?
        enum CodingKeys: String, CodingKey { case body }
    }

    /// `{"v":1,"id":…,"op":…,"body":…}\n`
    public static func request<Body: Encodable>(id: String, op: String, body: Body) throws(WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        line += try WireJSON.encode(id)
        line += Array(#","op":"#.utf8)
        line += try WireJSON.encode(op)
        line += Array(#","body":"#.utf8)
        line += try WireJSON.encode(body)
        line += Array("}\n".utf8)
        return line
    }

    /// `{"v":1,"id":…,"ok":true,"body":…}\n` with an already encoded body.
    public static func success(id: String, encodedBody: [UInt8]) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        line += (try? WireJSON.encode(id)) ?? Array(#""""#.utf8)
        line += Array(#","ok":true,"body":"#.utf8)
        line += encodedBody
        line += Array("}\n".utf8)
        return line
    }

    /// `{"v":1,"id":…,"ok":false,"error":{…}}\n`; `id` nil is written as `null`.
    public static func failure(id: String?, error: WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        line += id.flatMap { try? WireJSON.encode($0) } ?? Array("null".utf8)
        line += Array(#","ok":false,"error":"#.utf8)
        line += (try? WireJSON.encode(error)) ?? Array(#"{"code":"internal","message":"unencodable error","retryable":true}"#.utf8)
        line += Array("}\n".utf8)
        return line
    }

    /// `{"v":1,"event":…,"body":…}\n`
    public static func event<Body: Encodable>(_ name: String, body: Body) throws(WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"event":"#.utf8)
        line += try WireJSON.encode(name)
        line += Array(#","body":"#.utf8)
        line += try WireJSON.encode(body)
        line += Array("}\n".utf8)
        return line
    }
}

/// What a client reads from a line: a response to one of its requests, or a pushed event.
public enum IncomingMessage: Sendable, Equatable {
    /// `ok: true`; decode the body from `line` with ``Envelope/decodeBody(_:from:)``.
    case success(id: String, line: [UInt8])
    /// `ok: false`; `id` is nil when the server could not read the request's id.
    case failure(id: String?, error: WireError)
    /// A server-pushed event.
    case event(name: String, line: [UInt8])

    /// Classifies a line received by a client.
    public static func parse(_ line: [UInt8]) throws(WireError) -> IncomingMessage {
        let head = try WireJSON.decode(ResponseHead.self, from: line)
        if let event = head.event { return .event(name: event, line: line) }
        guard let ok = head.ok else { throw WireError.badRequest("response has neither ok nor event") }
        if ok {
            guard let id = head.id else { throw WireError.badRequest("success response without id") }
            return .success(id: id, line: line)
        }
        return .failure(id: head.id, error: head.error ?? WireError(.internal, "failure without error"))
    }

    private struct ResponseHead: Decodable {
        var id: String?
        var ok: Bool?
        var error: WireError?
        var event: String?
        enum CodingKeys: String, CodingKey { case id, ok, error, event }
    }
}
