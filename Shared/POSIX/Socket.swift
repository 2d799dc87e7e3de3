#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP or Unix socket file descriptor, as a value.
///
/// `Socket` does not own its descriptor in the ARC sense: whoever created it calls ``close()``
/// exactly once (for Dispatch-driven sockets, in the read source's cancel handler). Sends use
/// `MSG_NOSIGNAL` so a vanished peer is an `EPIPE` error, never a signal.
public struct Socket: Sendable, Hashable {
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The result of a non-blocking read.
    public enum ReadResult: Equatable, Sendable {
        case bytes(Int)
        case wouldBlock
        case endOfStream
    }

    /// Creates a listening TCP socket bound to `host:port` (port 0 picks a free port).
    public static func listen(host: String, port: UInt16, backlog: Int32 = 1024) throws(SystemError) -> Socket {
        let address = try SocketAddress(host: host, port: port)
        let fd = try retryingInterrupts("socket") { Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let socket = Socket(descriptor: fd)
        do throws(SystemError) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            _ = try address.withSockAddr { pointer, length throws(SystemError) in
                try retryingInterrupts("bind") { bind(fd, pointer, length) }
            }
            try retryingInterrupts("listen") { Glibc.listen(fd, backlog) }
            try socket.setNonBlocking()
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Opens a blocking TCP connection to `host:port`, giving up after `timeoutMilliseconds`.
    ///
    /// The returned socket is blocking with `TCP_NODELAY` set: for tools and tests that talk
    /// one request at a time. Services dial with ``dial(host:port:)`` on their event loop.
    public static func connect(host: String, port: UInt16, timeoutMilliseconds: Int32) throws(SystemError) -> Socket {
        let (socket, connected) = try dial(host: host, port: port)
        do throws(SystemError) {
            if !connected {
                var poller = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
                let ready = try retryingInterrupts("poll") { poll(&poller, 1, timeoutMilliseconds) }
                if ready == 0 { throw SystemError(operation: "connect", code: ETIMEDOUT) }
                try socket.finishConnect()
            }
            try socket.setBlocking()
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Starts a connect without blocking: the socket, and whether it is connected already. When
    /// not, wait until it is writable, then ask ``finishConnect()``.
    public static func dial(host: String, port: UInt16) throws(SystemError) -> (socket: Socket, connected: Bool) {
        let address = try SocketAddress(host: host, port: port)
        let fd = try retryingInterrupts("socket") { Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let socket = Socket(descriptor: fd)
        do throws(SystemError) {
            try socket.setNonBlocking()
            let started = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, length) }
            if started != 0 {
                guard errno == EINPROGRESS || errno == EINTR else { throw SystemError(operation: "connect", code: errno) }
                return (socket, false)
            }
            try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        } catch {
            socket.close()
            throw error
        }
        return (socket, true)
    }

    /// The outcome of a ``dial(host:port:)`` whose socket became writable: throws the connect's
    /// error, if any.
    public func finishConnect() throws(SystemError) {
        let pending = try getOption(SOL_SOCKET, SO_ERROR)
        if pending != 0 { throw SystemError(operation: "connect", code: pending) }
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Accepts one pending connection, or returns nil when none is waiting.
    public func accept() throws(SystemError) -> Socket? {
        do throws(SystemError) {
            let fd = try retryingInterrupts("accept") { Glibc.accept(descriptor, nil, nil) }
            let accepted = Socket(descriptor: fd)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            try? accepted.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return accepted
        } catch where error.wouldBlock || error.code == ECONNABORTED {
            return nil
        }
    }

    /// The local port this socket is bound to.
    public func localPort() throws(SystemError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemError) in
                try retryingInterrupts("getsockname") { getsockname(descriptor, address, &length) }
            }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Reads what is available into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> ReadResult {
        do throws(SystemError) {
            let count = try retryingInterrupts("read") { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
            return count == 0 ? .endOfStream : .bytes(count)
        } catch where error.wouldBlock {
            return .wouldBlock
        }
    }

    /// Sends as much of `bytes` as the kernel takes now; returns the count sent (0 when it would block).
    public func send(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        guard bytes.count > 0 else { return 0 }
        do throws(SystemError) {
            return try retryingInterrupts("send") { Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        } catch where error.wouldBlock {
            return 0
        }
    }

    /// Sends every byte, blocking as needed (for blocking sockets only).
    public func sendAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Result { () throws(SystemError) -> Int in
                    try retryingInterrupts("send") {
                        Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            offset += try sent.get()
        }
    }

    /// Half-closes the sending side, so the peer reads end of stream after what was sent.
    public func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the descriptor. Call exactly once.
    public func close() {
        _ = Glibc.close(descriptor)
    }

    public func setNonBlocking() throws(SystemError) {
        let flags = try retryingInterrupts("fcntl") { fcntl(descriptor, F_GETFL) }
        try retryingInterrupts("fcntl") { fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) }
    }

    public func setBlocking() throws(SystemError) {
        let flags = try retryingInterrupts("fcntl") { fcntl(descriptor, F_GETFL) }
        try retryingInterrupts("fcntl") { fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// Sets `SO_RCVTIMEO` on a blocking socket so reads give up after `milliseconds`.
    public func setReceiveTimeout(milliseconds: Int) throws(SystemError) {
        try setTimeout(SO_RCVTIMEO, milliseconds: milliseconds)
    }

    /// Sets `SO_SNDTIMEO` on a blocking socket so sends give up after `milliseconds`.
    public func setSendTimeout(milliseconds: Int) throws(SystemError) {
        try setTimeout(SO_SNDTIMEO, milliseconds: milliseconds)
    }

    private func setTimeout(_ option: Int32, milliseconds: Int) throws(SystemError) {
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        try retryingInterrupts("setsockopt") {
            setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        try retryingInterrupts("setsockopt") {
            setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    func getOption(_ level: Int32, _ name: Int32) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try retryingInterrupts("getsockopt") { getsockopt(descriptor, level, name, &value, &length) }
        return value
    }
}

extension Socket {
    /// A loopback port free now: bound, then released for another process to bind (which may
    /// race for it; for wiring child processes that must be told each other's address first).
    public static func unusedLoopbackPort() throws(SystemError) -> UInt16 {
        let socket = try listen(host: "127.0.0.1", port: 0)
        defer { socket.close() }
        return try socket.localPort()
    }
}
