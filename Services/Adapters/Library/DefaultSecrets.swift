/// Service-wide fallbacks for channel secrets (environment or systemd credentials).
public struct DefaultSecrets: Sendable {
    public var twilioAuthToken: String?
    public var whatsAppAppSecret: String?
    public var whatsAppVerifyToken: String?
    public var bridgeSigningSecret: String?

    public init(twilioAuthToken: String? = nil, whatsAppAppSecret: String? = nil, whatsAppVerifyToken: String? = nil, bridgeSigningSecret: String? = nil) {
        self.twilioAuthToken = twilioAuthToken
        self.whatsAppAppSecret = whatsAppAppSecret
        self.whatsAppVerifyToken = whatsAppVerifyToken
        self.bridgeSigningSecret = bridgeSigningSecret
    }
}
