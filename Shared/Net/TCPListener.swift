import Dispatch
import SwitchboardPOSIX

/// A listening TCP socket that hands each accepted connection to a callback.
///
/// Threading: accepting runs on the listener's private queue; `accept` callbacks run there and
/// must not block. The descriptor is closed in the source's cancel handler.
public final class TCPListener: @unchecked Sendable {
    public let port: UInt16
    private let socket: Socket
    private let source: any DispatchSourceRead
    private let queue = DispatchQueue(label: "switchboard.listener")

    /// Binds `host:port` (port 0 picks a free one, reported by ``port``); not yet accepting.
    public init(host: String, port: UInt16) throws(SystemError) {
        socket = try Socket.listen(host: host, port: port)
        do {
            self.port = try socket.localPort()
        } catch {
            socket.close()
            throw error
        }
        source = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: queue)
    }

    /// Starts accepting; `accept` receives each new non-blocking socket.
    public func start(accept: @escaping @Sendable (Socket) -> Void) {
        let socket = self.socket
        source.setEventHandler {
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
        source.setCancelHandler { socket.close() }
        source.resume()
    }

    /// Stops accepting and releases the port.
    public func stop() {
        source.cancel()
    }
}
