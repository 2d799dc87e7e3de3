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
    /// while it is incomplete. One pass over the head's bytes, no copies: a load client should
    /// not cost the server its CPU (Foundation's generic `firstRange(of:)` and `split` here took
    /// 7 % of the event loops' samples in the adapters benchmark, which shares them with it).
    public static func response(in buffer: [UInt8]) -> (status: Int, size: Int)? {
        buffer.withUnsafeBufferPointer { bytes -> (status: Int, size: Int)? in
            guard bytes.count >= 4 else { return nil }
            var end = -1
            for index in 0...(bytes.count - 4)
            where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                end = index
                break
            }
            guard end >= 0 else { return nil }
            func number(from start: Int) -> Int {
                var value = 0
                var index = start
                while index < end, bytes[index] == 32 { index += 1 }
                while index < end, bytes[index] >= 48, bytes[index] <= 57 {
                    value = value * 10 + Int(bytes[index] - 48)
                    index += 1
                }
                return value
            }
            var status = 0
            var length = 0
            var lineStart = 0
            while lineStart < end {
                var lineEnd = lineStart
                while lineEnd < end, bytes[lineEnd] != 13 { lineEnd += 1 }
                if lineStart == 0 {
                    var space = 0
                    while space < lineEnd, bytes[space] != 32 { space += 1 }
                    status = number(from: space)
                } else if let valueStart = valueStart(of: Self.contentLength, in: bytes, line: lineStart..<lineEnd) {
                    length = number(from: valueStart)
                }
                lineStart = lineEnd + 2
            }
            let size = end + 4 + length
            return bytes.count >= size ? (status, size) : nil
        }
    }

    private static let contentLength = Array("content-length:".utf8)

    /// Where the value of header `name` (lowercase, with its colon) starts on `line`, if the line
    /// is that header (names compared without case).
    private static func valueStart(of name: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, line: Range<Int>) -> Int? {
        guard line.count > name.count else { return nil }
        for offset in 0..<name.count where bytes[line.lowerBound + offset] | 0x20 != name[offset] { return nil }
        return line.lowerBound + name.count
    }
}
