public import SwitchboardPOSIX

/// A listening TCP socket that hands each accepted connection to a callback.
///
/// Threading: accepting runs on the listener's ``EventLoop`` (the listening socket is watched
/// like any connection; the group's first loop unless given, so listening does not shift the
/// round robin the accepted connections take their loops from), so there is no thread or
/// Dispatch queue beside the loops; `accept` callbacks run there and must not block. The
/// descriptor is deregistered and closed on the loop.
public final class TCPListener: Sendable {
    public let port: UInt16
    private let socket: Socket
    private let loop: EventLoop

    /// Binds `host:port` (port 0 picks a free one, reported by ``port``); not yet accepting.
    public init(host: String, port: UInt16, loop: EventLoop = EventLoopGroup.shared.loops[0]) throws(SystemError) {
        socket = try Socket.listen(host: host, port: port)
        do {
            self.port = try socket.localPort()
        } catch {
            socket.close()
            throw error
        }
        self.loop = loop
    }

    /// Starts accepting; `accept` receives each new non-blocking socket.
    public func start(accept: @escaping @Sendable (Socket) -> Void) {
        let socket = self.socket
        loop.execute { [loop] in
            do {
                try loop.register(socket.descriptor, interest: .readable) { _ in
                    for _ in 0..<64 {
                        guard let accepted = try? socket.accept() else { return }
                        do {
                            try accepted.setNonBlocking()
                        } catch {
                            accepted.close()
                            continue
                        }
                        accept(accepted)
                    }
                }
            } catch {
                socket.close()
            }
        }
    }

    /// Stops accepting and releases the port.
    public func stop() {
        let socket = self.socket
        loop.execute { [loop] in
            loop.deregister(socket.descriptor)
            socket.close()
        }
    }
}
