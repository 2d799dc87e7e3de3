public import SwitchboardRuntime

extension LineServerOptions {
    /// A service's line port from its settings: `listen` (host:port) and the `token` secret.
    public init(settings: Settings, secrets: Secrets) throws {
        self.init()
        if let address = try settings.address("listen") {
            host = address.host
            port = address.port
        }
        if let connections = try settings.int("max-connections") { maximumConnections = connections }
        token = try secrets.value("token")
    }
}

extension LineClientOptions {
    /// A client of another service: its address from setting `key`, its token from secret `tokenName`.
    public init(settings: Settings, key: String, secrets: Secrets, tokenName: String, clientName: String) throws {
        guard let address = try settings.address(key) else { throw SettingsError("\(key) address missing") }
        self.init(host: address.host, port: address.port)
        token = try secrets.value(tokenName)
        self.clientName = clientName
    }
}

extension LineServer {
    /// A service's line port as its command makes it: options from its settings, and `register`
    /// adds the service's ops. It listens when started (``Service``).
    public convenience init(
        service: String, settings: Settings, secrets: Secrets, logger: Logger, metrics: MetricsRegistry, register: (LineServer) -> Void
    ) throws {
        self.init(service: service, options: try LineServerOptions(settings: settings, secrets: secrets), logger: logger, metrics: metrics)
        register(self)
    }
}
