import Foundation

/// Provider signature checks (payloads/README.md), all compared in constant time.
public enum WebhookSignatures {
    /// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, URL + each parameter name in
    /// sorted order followed by each of its values in sorted order)). The URL is tried as given,
    /// and with the scheme's default port added or removed, as Twilio's own validators do.
    public static func twilioValid(signature: String, url: String, parameters: [(name: String, value: String)], authToken: String) -> Bool {
        func signs(_ candidate: String) -> Bool {
            ConstantTime.equals(WebhookSigner.twilio(url: candidate, parameters: parameters, authToken: authToken), signature)
        }
        // The URL as given signs nearly every request; the port variant is parsed only when it does not.
        return signs(url) || urlVariants(url).dropFirst().contains(where: signs)
    }

    /// Twilio's JSON-body variant: the URL (with its `bodySHA256` query parameter) is signed alone,
    /// and `bodySHA256` must be the hex SHA-256 of the exact body.
    public static func twilioJSONValid(signature: String, url: String, body: [UInt8], authToken: String) -> Bool {
        guard let components = URLComponents(string: url),
              let declared = components.queryItems?.first(where: { $0.name == "bodySHA256" })?.value,
              ConstantTime.equals(declared.lowercased(), Hex.encode(Digest.sha256(body)))
        else { return false }
        return twilioValid(signature: signature, url: url, parameters: [], authToken: authToken)
    }

    /// Meta's `X-Hub-Signature-256`: `sha256=` + hex(HMAC-SHA256(app secret, raw body)).
    public static func metaValid(header: String, body: [UInt8], appSecret: String) -> Bool {
        ConstantTime.equals(WebhookSigner.meta(body: body, appSecret: appSecret), header.lowercased())
    }

    /// The URL with and without the scheme's default port.
    static func urlVariants(_ url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return [url] }
        let defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : nil
        guard let defaultPort else { return [url] }
        if components.port == defaultPort {
            components.port = nil
            return [url, components.string ?? url]
        }
        if components.port == nil {
            components.port = defaultPort
            return [url, components.string ?? url]
        }
        return [url]
    }
}

/// Produces provider signatures, for the scenario runner, the load generator and tests that
/// play a provider's part.
public enum WebhookSigner {
    /// The `X-Twilio-Signature` of a form POST to `url`.
    public static func twilio(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        // Names in byte order, a repeated name's values in byte order: one sort of the pairs.
        let sorted = parameters.sorted { lhs, rhs in
            lhs.name.utf8.elementsEqual(rhs.name.utf8)
                ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
        }
        var data = Array(url.utf8)
        for parameter in sorted {
            data += parameter.name.utf8
            data += parameter.value.utf8
        }
        return Data(HMAC.authenticationCode(.sha1, key: Array(authToken.utf8), message: data)).base64EncodedString()
    }

    /// The `X-Hub-Signature-256` of a WhatsApp Cloud API body.
    public static func meta(body: [UInt8], appSecret: String) -> String {
        "sha256=" + Hex.encode(HMAC.authenticationCode(.sha256, key: Array(appSecret.utf8), message: body))
    }
}
