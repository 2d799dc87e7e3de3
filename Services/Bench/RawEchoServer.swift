import Foundation
import SwitchboardPOSIX

/// The raw per-hop limit of this machine: a blocking thread that echoes bytes back, with no JSON,
/// no event loop and no scheduling. Line-server figures are reported as a ratio of it, so they
/// read the same on a faster or slower machine.
enum RawEchoServer {
    /// Starts a one-connection echo server on a thread of its own; returns its port.
    static func start() throws -> UInt16 {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        try listener.setBlocking()
        let port = try listener.localPort()
        Thread {
            defer { listener.close() }
            guard let connection = try? waitForConnection(listener) else { return }
            defer { connection.close() }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                guard let result = try? buffer.withUnsafeMutableBytes({ try connection.read(into: $0) }),
                      case .bytes(let count) = result,
                      (try? connection.sendAll(Array(buffer[0..<count]))) != nil
                else { return }
            }
        }.start()
        return port
    }

    private static func waitForConnection(_ listener: Socket) throws -> Socket? {
        while true {
            if let connection = try listener.accept() {
                try connection.setBlocking()
                return connection
            }
        }
    }
}
