import Foundation

/// The protocol version this codec speaks (`PROTOCOL.md`, "Messages").
public let protocolVersion = 1

/// A request line whose head (`v`, `id`, `op`) has been read and whose `body` has been located
/// but not decoded.
///
/// The line is scanned once (``JSONObjectScanner``); the body is decoded once, by the handler's
/// type, with ``decodeBody(_:)``. A line that is not a JSON object yields a failure with a null
/// id, as the protocol requires; otherwise failures carry the request's id.
public struct RequestHead: Sendable, Equatable {
    public var id: String
    public var op: String
    /// The whole line, without its terminator.
    public var line: [UInt8]
    /// Where the `body` value sits in ``line``; nil when absent.
    public var bodyRange: Range<Int>?

    public init(id: String, op: String, line: [UInt8] = [], bodyRange: Range<Int>? = nil) {
        self.id = id
        self.op = op
        self.line = line
        self.bodyRange = bodyRange
    }

    /// Reads the head of `line`.
    public static func parse(_ line: [UInt8]) -> Result<RequestHead, RequestFailure> {
        let fields: LineFields
        do { fields = try LineFields(scanning: line) } catch { return .failure(RequestFailure(id: nil, error: error)) }
        let id: String
        switch fields.string("id") {
        case .some(.some(let value)): id = value
        case .some(.none): return .failure(RequestFailure(id: nil, error: .badRequest("field id has the wrong type (expected string)")))
        case .none: return .failure(RequestFailure(id: nil, error: .badRequest("missing field id")))
        }
        switch fields.integer("v") {
        case .none: return .failure(RequestFailure(id: id, error: .badRequest("missing field v")))
        case .some(.none): return .failure(RequestFailure(id: id, error: .badRequest("field v has the wrong type (expected number)")))
        case .some(.some(let version)) where version != protocolVersion:
            return .failure(RequestFailure(id: id, error: WireError(
                .unsupportedVersion, "protocol version \(version) is not supported (this service speaks \(protocolVersion))")))
        default: break
        }
        let op: String
        switch fields.string("op") {
        case .some(.some(let value)): op = value
        case .some(.none): return .failure(RequestFailure(id: id, error: .badRequest("field op has the wrong type (expected string)")))
        case .none: return .failure(RequestFailure(id: id, error: .badRequest("missing field op")))
        }
        return .success(RequestHead(id: id, op: op, line: line, bodyRange: fields.range("body")))
    }

    /// Decodes the body as `T`; an absent or null body is decoded as `{}`.
    public func decodeBody<T: Decodable>(_ type: T.Type) throws(WireError) -> T {
        try Envelope.decodeBody(T.self, in: line, range: bodyRange)
    }

    public static func == (lhs: RequestHead, rhs: RequestHead) -> Bool {
        lhs.id == rhs.id && lhs.op == rhs.op
    }
}

/// Typed access to the top-level members found by ``JSONObjectScanner``.
struct LineFields {
    let line: [UInt8]
    let members: [JSONObjectScanner.Member]

    /// Scans `line`'s top-level members; anything but one JSON object is a bad request.
    init(scanning line: [UInt8]) throws(WireError) {
        do {
            members = try line.withUnsafeBufferPointer { buffer throws(JSONObjectScanner.Malformed) in
                try JSONObjectScanner.members(of: buffer)
            }
        } catch {
            throw WireError.badRequest("not a JSON object")
        }
        self.line = line
    }

    func range(_ key: String) -> Range<Int>? {
        members.last { $0.key == key }?.value
    }

    /// nil: absent; .some(nil): present but not a string (null counts as absent).
    func string(_ key: String) -> String?? {
        guard let range = range(key) else { return nil }
        if isNull(range) { return nil }
        guard line[range.lowerBound] == UInt8(ascii: "\"") else { return .some(nil) }
        return line.withUnsafeBufferPointer { buffer in
            .some(try? JSONObjectScanner.decodeString(UnsafeBufferPointer(rebasing: buffer[range])))
        }
    }

    /// nil: absent; .some(nil): present but not an integer.
    func integer(_ key: String) -> Int?? {
        guard let range = range(key) else { return nil }
        return .some(Int(String(decoding: line[range], as: UTF8.self)))
    }

    /// nil: absent or not a boolean.
    func boolean(_ key: String) -> Bool? {
        guard let range = range(key) else { return nil }
        switch line[range.lowerBound] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    func isNull(_ range: Range<Int>) -> Bool {
        line[range.lowerBound] == UInt8(ascii: "n")
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
        try decodeBody(T.self, in: line, range: LineFields(scanning: line).range("body"))
    }

    static func decodeBody<T: Decodable>(_ type: T.Type, in line: [UInt8], range: Range<Int>?) throws(WireError) -> T {
        if let range, line[range.lowerBound] != UInt8(ascii: "n") {
            return try WireJSON.decode(T.self, from: line[range], path: "body")
        }
        return try WireJSON.decode(T.self, from: Array("{}".utf8), path: "body")
    }

    /// `{"v":1,"id":…,"op":…,"body":…}\n`
    public static func request<Body: Encodable>(id: String, op: String, body: Body) throws(WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        JSONString.append(id, to: &line)
        line.append(contentsOf: #","op":"#.utf8)
        JSONString.append(op, to: &line)
        line.append(contentsOf: #","body":"#.utf8)
        line += try WireJSON.encode(body)
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// `{"v":1,"id":…,"op":…,"body":…}\n` with an already encoded body (e.g. JSON stored as is).
    public static func request(id: String, op: String, encodedBody: [UInt8]) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        line.reserveCapacity(encodedBody.count + op.utf8.count + 48)
        JSONString.append(id, to: &line)
        line.append(contentsOf: #","op":"#.utf8)
        JSONString.append(op, to: &line)
        line.append(contentsOf: #","body":"#.utf8)
        line += encodedBody
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// `{"v":1,"id":…,"ok":true,"body":…}\n` with an already encoded body.
    public static func success(id: String, encodedBody: [UInt8]) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        line.reserveCapacity(encodedBody.count + id.utf8.count + 32)
        JSONString.append(id, to: &line)
        line.append(contentsOf: #","ok":true,"body":"#.utf8)
        line += encodedBody
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// `{"v":1,"id":…,"ok":false,"error":{…}}\n`; `id` nil is written as `null`.
    public static func failure(id: String?, error: WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"id":"#.utf8)
        if let id { JSONString.append(id, to: &line) } else { line.append(contentsOf: "null".utf8) }
        line.append(contentsOf: #","ok":false,"error":"#.utf8)
        line += (try? WireJSON.encode(error)) ?? Array(#"{"code":"internal","message":"unencodable error","retryable":true}"#.utf8)
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// `{"v":1,"event":…,"body":…}\n`
    public static func event<Body: Encodable>(_ name: String, body: Body) throws(WireError) -> [UInt8] {
        var line = Array(#"{"v":1,"event":"#.utf8)
        JSONString.append(name, to: &line)
        line.append(contentsOf: #","body":"#.utf8)
        line += try WireJSON.encode(body)
        line.append(contentsOf: "}\n".utf8)
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
        let fields = try LineFields(scanning: line)
        if case .some(.some(let event)) = fields.string("event") { return .event(name: event, line: line) }
        guard let ok = fields.boolean("ok") else { throw WireError.badRequest("response has neither ok nor event") }
        let id = fields.string("id").flatMap { $0 }
        if ok {
            guard let id else { throw WireError.badRequest("success response without id") }
            return .success(id: id, line: line)
        }
        guard let range = fields.range("error") else { return .failure(id: id, error: WireError(.internal, "failure without error")) }
        return .failure(id: id, error: try WireJSON.decode(WireError.self, from: line[range], path: "error"))
    }
}
