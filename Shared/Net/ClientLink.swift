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

    init(socket: Socket, client: LineClient, maximumLineLength: Int) {
        connection = StreamConnection(socket: socket, name: "client")
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

    /// The `hello` exchange on a still-blocking socket, before the link starts.
    static func hello(on socket: Socket, token: String, client: String, timeout: Double, endpoint: String) throws {
        try socket.setReceiveTimeout(milliseconds: Int(timeout * 1000))
        try socket.sendAll(try Envelope.request(id: "hello", op: "hello", body: HelloBody(token: token, client: client)))
        var framer = LineFramer()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if case .line(let line) = framer.next() {
                switch try IncomingMessage.parse(line) {
                case .success: return
                case .failure(_, let error): throw error
                case .event: continue
                }
            }
            let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            switch result {
            case .bytes(let count): framer.append(chunk[0..<count])
            case .wouldBlock: throw WireError.unavailable("hello to \(endpoint) timed out")
            case .endOfStream: throw WireError.unavailable("\(endpoint) closed the connection during hello")
            }
        }
    }
}
