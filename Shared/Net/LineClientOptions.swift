/// How a ``LineClient`` reaches its server and how patient it is.
public struct LineClientOptions: Sendable {
    public var host: String
    public var port: UInt16
    /// Seconds to wait for the TCP connection (and the `hello` answer).
    public var connectTimeout: Double = 2
    /// Seconds a request may wait for its answer before it fails `unavailable`.
    public var requestTimeout: Double = 10
    /// Sent in `hello` when set.
    public var token: String?
    /// The name this client gives in `hello`, e.g. `switchboard-adapters`.
    public var clientName: String = "switchboard"
    public var maximumLineLength = 1 << 20
    /// Spacing of reconnect attempts after consecutive connection failures.
    public var reconnectBackoff = Backoff()

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }
}
