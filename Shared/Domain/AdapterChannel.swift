/// A provider channel the adapters accept webhooks for: which account (platform + E.164
/// number) it serves and the secrets that prove a webhook came from the provider.
///
/// Secrets live in the adapters' own database (`adapters.put_channel`) and are never listed:
/// `adapters.list_channels` shows ``redacted``. A channel without its own secret falls back to
/// the service-wide one from the environment or systemd credentials.
public import Foundation

public struct AdapterChannel: Codable, Sendable, Equatable {
    public var id: String
    public var platform: Platform
    /// The account's E.164 number.
    public var account: String
    /// Twilio: the auth token, and the public base URL Twilio calls (e.g. `https://hooks.example.com`).
    public var twilioAuthToken: String?
    /// Twilio: while an auth token is rotated, the one it replaces, still accepted until
    /// `previousTwilioAuthTokenUntil` (requests Twilio signed before the change keep arriving).
    public var previousTwilioAuthToken: String?
    public var previousTwilioAuthTokenUntil: Date?
    public var publicBaseURL: String?
    /// WhatsApp Cloud API: the app secret, the verify token of the GET handshake, the phone number id.
    public var appSecret: String?
    public var verifyToken: String?
    public var phoneNumberId: String?
    /// SMS/iMessage bridge: the `sb-signing-secret` value.
    public var signingSecret: String?

    public init(
        id: String, platform: Platform, account: String, twilioAuthToken: String? = nil, publicBaseURL: String? = nil,
        appSecret: String? = nil, verifyToken: String? = nil, phoneNumberId: String? = nil, signingSecret: String? = nil
    ) {
        self.id = id
        self.platform = platform
        self.account = account
        self.twilioAuthToken = twilioAuthToken
        self.publicBaseURL = publicBaseURL
        self.appSecret = appSecret
        self.verifyToken = verifyToken
        self.phoneNumberId = phoneNumberId
        self.signingSecret = signingSecret
    }

    enum CodingKeys: String, CodingKey {
        case id, platform, account, twilioAuthToken, previousTwilioAuthToken, previousTwilioAuthTokenUntil, publicBaseURL, appSecret, verifyToken,
             phoneNumberId, signingSecret
    }

    /// The channel with every secret replaced by `"***"` (set) or nil (unset).
    public var redacted: AdapterChannel {
        var copy = self
        func mask(_ value: String?) -> String? { value.map { _ in "***" } }
        copy.twilioAuthToken = mask(twilioAuthToken)
        copy.previousTwilioAuthToken = mask(previousTwilioAuthToken)
        copy.appSecret = mask(appSecret)
        copy.verifyToken = mask(verifyToken)
        copy.signingSecret = mask(signingSecret)
        return copy
    }
}
