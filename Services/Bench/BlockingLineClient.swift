import Foundation
import SwitchboardPOSIX

/// The leanest possible client: one blocking socket on a thread of its own, writing a window of
/// request lines and reading as many answer lines. It measures what the server sustains, with no
/// client-side scheduling in the way (the ``LineClient`` figures are printed beside it).
struct BlockingLineClient {
    let port: UInt16
    let request: [UInt8]

    /// Round trips per second with `window` requests in flight, for `seconds`.
    func run(window: Int, seconds: Double) throws -> Double {
        let socket = try Socket.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 2000)
        defer { socket.close() }
        let batch = Array([[UInt8]](repeating: request, count: window).joined())
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var completed = 0
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            try socket.sendAll(batch)
            var newlines = 0
            while newlines < window {
                let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
                guard case .bytes(let count) = result else { throw SystemError(operation: "read", code: 104) }
                for index in 0..<count where chunk[index] == 0x0A { newlines += 1 }
            }
            completed += window
        }
        return Double(completed) / Date().timeIntervalSince(started)
    }
}

