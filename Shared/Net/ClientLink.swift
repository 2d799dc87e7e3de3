import Foundation
import SwitchboardCodec
import SwitchboardPOSIX

/// One live connection of a ``LineClient``: frames the server's lines and passes them up.
///
/// Threading: the framer is confined to the connection's event loop.
final class ClientLink: @unchecked Sendable {
    let connection: StreamConnection
    private weak var client: LineClient?
    private var framer: LineFramer

    init(socket: Socket, client: LineClient, maximumLineLength: Int, loop: EventLoop) {
        connection = StreamConnection(socket: socket, name: "client", loop: loop)
        self.client = client
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    func start() {
        connection.start(StreamConnection.Handlers(
            bytes: { [self] bytes in
                framer.append(bytes)
                while case .line(let line) = framer.next() {
                    guard let message = try? IncomingMessage.parse(line) else { continue }
                    client?.received(message)
                }
            },
            endOfStream: { [self] in connection.close() },
            closed: { [self] in client?.linkClosed(self) }))
    }
}
