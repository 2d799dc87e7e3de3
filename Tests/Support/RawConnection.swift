import Foundation
import SwitchboardRuntime
import SwitchboardCodec
public import SwitchboardPOSIX

/// A test client that writes arbitrary bytes and reads lines with a bounded wait: for feeding
/// servers garbage, half lines, oversized lines and raw HTTP.
///
/// Its socket is blocking, so every call runs on a thread of its own (``onOwnThread(_:)``), never on
/// the cooperative pool that the server under test needs for its handlers.
// @unchecked: used by one test task at a time; each call completes before the next starts.
public final class RawConnection: @unchecked Sendable {
    public let socket: Socket
    private var buffer: [UInt8] = []

    public init(port: UInt16, host: String = "127.0.0.1", receiveTimeout: Double = 10) async throws {
        socket = try await onOwnThread {
            let socket = try Socket.connect(host: host, port: port, timeoutMilliseconds: 2000)
            try socket.setReceiveTimeout(milliseconds: Int(receiveTimeout * 1000))
            return socket
        }
    }

    deinit { socket.close() }

    public func send(_ bytes: [UInt8]) async throws {
        let socket = self.socket
        try await onOwnThread { try socket.sendAll(bytes) }
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Reads one line (without `\n`); nil at end of stream. Throws when the wait times out.
    public func readLine() async throws -> String? {
        try await onOwnThread { try self.readLineBlocking() }
    }

    private func readLineBlocking() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard try fill() else { return nil }
        }
    }

    /// Reads until the peer closes (bounded by the receive timeout); returns everything unread.
    public func readToEnd() async throws -> [UInt8] {
        try await onOwnThread { try self.readToEndBlocking() }
    }

    private func readToEndBlocking() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// Reads one HTTP response head and its `Content-Length` body.
    public func readHTTPResponse() async throws -> HTTPResponseText? {
        try await onOwnThread { try self.readHTTPResponseBlocking() }
    }

    private func readHTTPResponseBlocking() throws -> HTTPResponseText? {
        while true {
            if let range = findHeadEnd() {
                let head = String(decoding: buffer[..<range], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while buffer.count < range + 4 + length { guard try fill() else { return nil } }
                let body = String(decoding: buffer[(range + 4)..<(range + 4 + length)], as: UTF8.self)
                buffer.removeSubrange(..<(range + 4 + length))
                let status = Int(head.split(separator: " ")[1]) ?? 0
                return HTTPResponseText(status: status, head: head, body: body)
            }
            guard try fill() else { return nil }
        }
    }

    /// True once the peer has closed (reads return end of stream), waiting at most the receive timeout.
    public func isClosedByPeer() async -> Bool {
        (try? await onOwnThread { try self.fill() }) == false
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let result: Socket.ReadResult
        do {
            result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        } catch let error as SystemError where error.code == ECONNRESET {
            return false
        }
        switch result {
        case .bytes(let count):
            buffer += chunk[0..<count]
            return true
        case .endOfStream:
            return false
        case .wouldBlock:
            throw TestFailure("read timed out")
        }
    }
}

/// A raw HTTP response as a test reads it.
public struct HTTPResponseText: Sendable {
    public var status: Int
    public var head: String
    public var body: String
}

