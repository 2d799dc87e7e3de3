import Foundation
import SwitchboardPOSIX

/// Posts a webhook to the adapters over a fresh loopback connection and returns the status.
/// Blocking I/O runs on a thread of its own, never on the cooperative pool.
public enum WebhookPoster {
    public static func post(port: UInt16, _ request: WebhookFactory.Request) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
                    defer { socket.close() }
                    try socket.setReceiveTimeout(milliseconds: 10_000)
                    var head = "POST \(request.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(request.body.count)\r\n"
                    for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
                    try socket.sendAll(Array((head + "\r\n").utf8) + request.body)
                    var response: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    while !response.contains(0x0A) {
                        let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
                        guard case .bytes(let count) = result else { break }
                        response += chunk[0..<count]
                    }
                    let statusLine = String(decoding: response.prefix { $0 != 0x0D }, as: UTF8.self)
                    let parts = statusLine.split(separator: " ")
                    continuation.resume(returning: parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
