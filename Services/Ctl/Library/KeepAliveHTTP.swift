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
        var head = "POST \(request.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(request.body.count)\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        try socket.sendAll(Array((head + "\r\n").utf8) + request.body)
        return try readResponse()
    }

    private mutating func readResponse() throws -> Int {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if buffer.count >= end + 4 + length {
                    buffer.removeSubrange(..<(end + 4 + length))
                    return Int(head.split(separator: " ")[1]) ?? 0
                }
            }
            let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            guard case .bytes(let count) = result else { throw CtlError("the adapters closed the connection") }
            buffer += chunk[0..<count]
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}
