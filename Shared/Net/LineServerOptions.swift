/// Limits and identity of a ``LineServer`` (`PROTOCOL.md`, "Limits every server enforces").
public struct LineServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port: UInt16 = 0
    public var maximumLineLength = 1 << 20
    public var maximumConnections = 1024
    public var maximumInFlightPerConnection = 256
    /// Seconds without traffic (and nothing in flight) before a connection is closed.
    public var idleTimeout: Double = 300
    /// When set, every connection must open with `hello` carrying this token.
    public var token: String?

    public init() {}
}
