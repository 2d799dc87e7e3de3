import Foundation
import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardNet
public import SwitchboardRuntime

/// The `switchboard-adapters` process: webhook HTTP port, line port, inbox, forwarder.
public enum AdaptersCommand {
    public static let keys: [Settings.Key] = [
        .listen(port: 7101),
        Settings.Key("http", default: "127.0.0.1:7100", help: "host:port of the webhook HTTP server"),
        .database("adapters"),
        Settings.Key("router", default: "127.0.0.1:7102", help: "host:port of switchboard-router"),
        RouterRing.settingKey,
        Settings.Key("public-base-url", help: "URL prefix providers call, e.g. https://hooks.example.com (Twilio signs it)"),
        Settings.Key("max-body", default: "1048576", help: "largest webhook body, bytes"),
        Settings.Key("max-whatsapp-body", default: "3145728", help: "largest WhatsApp webhook body, bytes (Meta documents ~3 MB)"),
        Settings.Key("forward-memory", default: "4096", help: "inbox events the forwarder holds in memory; more wait in the file"),
        Settings.Key("ghl-webhook-public-key-file", help: "PEM file of the key GoHighLevel signs webhooks with (default: its published key)"),
        Settings.Key("test-clock", default: "false", help: "honour X-Switchboard-Received-At as event time (tests only, never production)"),
    ]

    public static let secretNames = ["token", "router-token", "twilio-auth-token", "whatsapp-app-secret", "whatsapp-verify-token", "bridge-signing-secret"]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-adapters",
            summary: "Verifies provider webhooks, commits them to a durable inbox and forwards them to the router.",
            keys: keys, secretNames: secretNames, arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            var configuration = AdaptersService.Configuration(databasePath: try settings.databasePath(default: "state/adapters.sqlite"))
            configuration.defaults = DefaultSecrets(
                twilioAuthToken: try secrets.value("twilio-auth-token"), whatsAppAppSecret: try secrets.value("whatsapp-app-secret"),
                whatsAppVerifyToken: try secrets.value("whatsapp-verify-token"), bridgeSigningSecret: try secrets.value("bridge-signing-secret"))
            configuration.publicBaseURL = settings.string("public-base-url")
            configuration.testClock = try settings.bool("test-clock")
            configuration.forwardMemoryLimit = try settings.int("forward-memory") ?? 4096
            if let path = settings.string("ghl-webhook-public-key-file") {
                guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let key = RSASignature.PublicKey(pem: pem) else {
                    throw SettingsError("ghl-webhook-public-key-file: \(path) is not a readable PEM public key")
                }
                configuration.goHighLevelKey = key
            }
            if configuration.testClock { logger.warning("test clock enabled: X-Switchboard-Received-At sets event times") }
            let routers = try RouterRing(settings: settings, secrets: secrets, tokenName: "router-token", clientName: "switchboard-adapters")
            let service = try await AdaptersService(configuration: configuration, routers: routers, logger: logger, metrics: metrics)

            var httpOptions = HTTPServer.Options()
            if let address = try settings.address("http") {
                httpOptions.host = address.host
                httpOptions.port = address.port
            }
            httpOptions.limits.maximumBodyBytes = try settings.int("max-body") ?? (1 << 20)
            // Meta documents webhook payloads of up to ~3 MB; the other providers' stay small.
            httpOptions.limits.maximumBodyBytesByPath["/webhooks/whatsapp"] = max(httpOptions.limits.maximumBodyBytes, try settings.int("max-whatsapp-body") ?? (3 << 20))
            let http = HTTPServer(options: httpOptions, logger: logger, metrics: metrics)
            service.register(on: http)

            let lines = try LineServer(
                service: "adapters", settings: settings, secrets: secrets, logger: logger, metrics: metrics, register: service.register(on:))
            let parts = ServiceGroup([routers, service, lines, http])
            try await parts.start()
            return ServiceMain.Running(status: "http=\(httpOptions.host):\(http.port) \(lines.status)", parts: parts)
        }
    }
}
