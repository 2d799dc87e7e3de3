import Foundation
import SwitchboardRuntime
import Glibc
import SwitchboardPOSIX

/// A Unix datagram socket a test owns, standing in for systemd's `NOTIFY_SOCKET`.
public final class DatagramReceiver: Sendable {
    public let path: String
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw SystemError(operation: "bind", code: errno) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram as text; throws after 10 s without one.
    public func next() async throws -> String {
        let descriptor = self.descriptor
        return try await onOwnThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { throw SystemError(operation: "recv", code: errno) }
            return String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }
}
