import SwitchboardCodec

/// What a handler knows about the request it serves beyond its body.
public struct RequestContext: Sendable {
    /// The client's request id.
    public let id: String
    public let op: String
    /// Where to push events for `*.watch` subscriptions on this connection.
    public let events: EventSink
}

/// Pushes server events (`{"v":1,"event":…}`) to one connection that subscribed with a watch op.
///
/// Thread-safe. Holders keep sinks in a subscriber list and drop those whose ``isClosed`` is true.
public final class EventSink: Sendable {
    private let connection: StreamConnection

    init(connection: StreamConnection) {
        self.connection = connection
    }

    public var isClosed: Bool { connection.isClosed }

    /// Sends one event line; returns false when the connection is gone.
    @discardableResult
    public func push<Body: Encodable>(_ event: String, _ body: Body) -> Bool {
        guard !connection.isClosed, let line = try? Envelope.event(event, body: body) else { return false }
        connection.send(line)
        return true
    }
}
