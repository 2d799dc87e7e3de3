import Foundation
import SwitchboardHTTP
import SwitchboardNet
public import SwitchboardRuntime

/// The `switchboard-notifier` process.
public enum NotifierCommand {
    public static let keys: [Settings.Key] = [
        .listen(port: 7104),
        .database("notifier"),
        Settings.Key("crm-base-url", default: "https://services.leadconnectorhq.com", help: "GoHighLevel API base URL"),
        Settings.Key("max-attempts", default: "8", help: "attempts before a delivery is dead-lettered"),
        Settings.Key("max-age", default: "86400", help: "seconds after intake before a failing delivery is dead-lettered"),
        Settings.Key("retry-initial", default: "1", help: "seconds before the first retry (doubling, with jitter)"),
        Settings.Key("retry-maximum", default: "300", help: "longest wait between retries, seconds"),
        Settings.Key("request-timeout", default: "10", help: "seconds an outbound HTTP request may take"),
        Settings.Key("concurrency", default: "64", help: "deliveries attempted at once"),
        Settings.Key("test-clock", default: "false", help: "retry times follow a clock moved by notifier.advance_clock (tests only, never production)"),
        Settings.Key("crm-rate-limit", default: "100", help: "GoHighLevel requests per location per interval"),
        Settings.Key("crm-rate-interval", default: "10", help: "seconds of the GoHighLevel rate-limit interval"),
        Settings.Key("router", default: "127.0.0.1:7102", help: "host:port of switchboard-router (owners found in GoHighLevel are reported there)"),
        RouterRing.settingKey,
        Settings.Key("directory", default: "127.0.0.1:7103", help: "host:port of switchboard-directory (GoHighLevel's users are synced there)"),
        HTTPServer.operationalKey(suggestedPort: 7114),
        Settings.Key("ghl-user-sync-minutes", default: "60", help: "minutes between syncs of the directory's users from GoHighLevel (0: only on demand)"),
    ]

    /// `token` guards the line port; `webhook-secret` signs webhooks; `ghl-token` (or
    /// `ghl-token-LOCATION`: a Private Integration token) or `ghl-oauth` (or `ghl-oauth-LOCATION`:
    /// `{"clientId", "clientSecret", "refreshToken"}`) authorises GoHighLevel calls;
    /// `router-token` is presented to the router.
    public static let secretNames = ["token", "webhook-secret", "ghl-token", "ghl-oauth", "router-token", "directory-token"]

    public static func main(arguments: [String]) async -> Int32 {
        await ServiceMain.run(
            service: "switchboard-notifier",
            summary: "Delivers notifications to users and assignments to GoHighLevel, with retries and dead letters.",
            keys: keys, secretNames: secretNames, arguments: arguments
        ) { settings, secrets, logger in
            let metrics = MetricsRegistry()
            var configuration = NotifierService.Configuration(databasePath: try settings.databasePath(default: "state/notifier.sqlite"))
            configuration.webhookSecret = try secrets.value("webhook-secret")
            configuration.crmBaseURL = settings.string("crm-base-url") ?? configuration.crmBaseURL
            if let grant = try secrets.value("ghl-oauth")?.trimmingCharacters(in: .whitespacesAndNewlines), !grant.isEmpty, CRMCredential.oauth(json: grant) == nil {
                throw SettingsError("ghl-oauth is not a JSON object with clientId, clientSecret and refreshToken")
            }
            // Read per location when needed, again every few seconds (``CRMCredentialCache``): credentials
            // can be added without a restart.
            configuration.crmCredential = { location in
                // An empty credential (install.sh leaves ghl-oauth empty until used) is none.
                for name in ["ghl-oauth-\(location)", "ghl-token-\(location)", "ghl-oauth", "ghl-token"] {
                    guard let value = (try? secrets.value(name))?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { continue }
                    if name.hasPrefix("ghl-oauth") {
                        if let grant = CRMCredential.oauth(json: value) { return grant }
                        continue
                    }
                    return .fixed(value)
                }
                return nil
            }
            configuration.retry.maximumAttempts = try settings.int("max-attempts") ?? 8
            configuration.retry.maximumAge = try settings.double("max-age") ?? 86_400
            configuration.retry.backoff = Backoff(
                initial: try settings.double("retry-initial") ?? 1, multiplier: 2, maximum: try settings.double("retry-maximum") ?? 300)
            configuration.requestTimeout = try settings.double("request-timeout") ?? 10
            configuration.concurrency = try settings.int("concurrency") ?? 64
            if try settings.bool("test-clock") {
                logger.warning("test clock enabled: retry times follow notifier.advance_clock")
                configuration.clock = ManualWallClock()
            }
            configuration.crmRateLimit = try settings.int("crm-rate-limit") ?? 100
            configuration.crmRateInterval = try settings.double("crm-rate-interval") ?? 10
            if configuration.webhookSecret == nil {
                logger.warning("no webhook-secret: webhook channels will be dead-lettered until one is set")
            }
            let router = try RouterRing(settings: settings, secrets: secrets, tokenName: "router-token", clientName: "switchboard-notifier")
            let directory = LineClient(options: try LineClientOptions(
                settings: settings, key: "directory", secrets: secrets, tokenName: "directory-token", clientName: "switchboard-notifier"))
            configuration.userSyncInterval = (try settings.double("ghl-user-sync-minutes") ?? 60) * 60
            let service = try NotifierService(configuration: configuration, routers: router, directory: directory, logger: logger, metrics: metrics)
            let server = try LineServer(
                service: "notifier", settings: settings, secrets: secrets, logger: logger, metrics: metrics, register: service.register(on:))
            let http = try HTTPServer.operational(settings: settings, logger: logger, metrics: metrics)
            let parts = ServiceGroup([router, directory, service, server] + [http].compactMap { $0 })
            try await parts.start()
            return ServiceMain.Running(status: server.status, parts: parts)
        }
    }
}
