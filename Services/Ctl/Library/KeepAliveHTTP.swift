import Foundation
import SwitchboardPOSIX

/// A blocking HTTP/1.1 keep-alive client for load generation: one socket, one request at a
/// time, on the caller's (dedicated) thread.
public struct KeepAliveHTTP {
    let socket: Socket
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65_536)

    public init(port: UInt16) throws {
        socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
        try socket.setReceiveTimeout(milliseconds: 30_000)
    }

    public func close() { socket.close() }

    /// Sends `request` and returns the response status.
    public mutating func post(_ request: WebhookFactory.Request) throws -> Int {
        try post(serialized: Self.serialize(request))
    }

    /// Sends a request already serialized with ``serialize(_:)`` and returns the response status:
    /// a benchmark prepares its requests first, so that sending costs the server's CPU, not its own.
    public mutating func post(serialized bytes: [UInt8]) throws -> Int {
        try socket.sendAll(bytes)
        return try readResponse()
    }

    /// The bytes of `request` as this client sends it.
    public static func serialize(_ request: WebhookFactory.Request) -> [UInt8] {
        var bytes = Array("POST ".utf8)
        bytes += request.path.utf8
        bytes += " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ".utf8
        bytes += String(request.body.count).utf8
        for (name, value) in request.headers {
            bytes += "\r\n".utf8
            bytes += name.utf8
            bytes += ": ".utf8
            bytes += value.utf8
        }
        bytes += "\r\n\r\n".utf8
        bytes += request.body
        return bytes
    }

    private mutating func readResponse() throws -> Int {
        while true {
            if let (status, size) = Self.response(in: buffer) {
                buffer.removeSubrange(..<size)
                return status
            }
            let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            guard case .bytes(let count) = result else { throw CtlError("the adapters closed the connection") }
            buffer += chunk[0..<count]
        }
    }

    /// The status and size in bytes of the complete response at the start of `buffer`, or nil
    /// while it is incomplete (read as bytes: a load client should not cost the server its CPU).
    public static func response(in buffer: [UInt8]) -> (status: Int, size: Int)? {
        guard let end = buffer.firstRange(of: [13, 10, 13, 10])?.lowerBound else { return nil }
        let lines = buffer[..<end].split(separator: 10)
        func number(_ digits: some Collection<UInt8>) -> Int {
            digits.prefix { $0 >= 48 && $0 <= 57 }.reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        let status = lines.first.flatMap { line in line.firstIndex(of: 32).map { number(line[($0 + 1)...]) } } ?? 0
        let name = Array("content-length:".utf8)
        let length = lines.dropFirst().first { line in line.count > name.count && zip(line, name).allSatisfy { ($0 | 0x20) == $1 } }
            .map { number($0.dropFirst(name.count).drop { $0 == 32 }) } ?? 0
        let size = end + 4 + length
        return buffer.count >= size ? (status, size) : nil
    }
}
