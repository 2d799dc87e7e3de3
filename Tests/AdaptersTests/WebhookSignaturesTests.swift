import Foundation
import Testing
@testable import SwitchboardAdapters
import SwitchboardCrypto
import SwitchboardHTTP
import SwitchboardTestSupport

/// Every signature vector in `../shared/payloads`, accepted as given and refused with one byte changed.
@Suite struct WebhookSignaturesTests {
    struct TwilioVector: Decodable {
        var file: String
        var url: String?
        var auth_token: String
        var params: [String: String]?
        var signature: String
        var also_valid_same_request: [String: String]?
        var json_body_variant: JSONVariant?
        enum CodingKeys: String, CodingKey { case file, url, auth_token, params, signature = "X-Twilio-Signature", also_valid_same_request, json_body_variant }
    }

    struct JSONVariant: Decodable {
        var url: String
        var body: String
        var signature: String
        enum CodingKeys: String, CodingKey { case url, body, signature = "X-Twilio-Signature" }
    }

    struct MetaVector: Decodable {
        var file: String?
        var app_secret: String?
        var signature: String?
        enum CodingKeys: String, CodingKey { case file, app_secret, signature = "X-Hub-Signature-256" }
    }

    static func twilioVectors() throws -> [TwilioVector] {
        try JSONDecoder().decode([TwilioVector].self, from: SharedFiles.data("payloads/twilio-signatures.json"))
    }

    @Test func twilioSamplesVerifyAndFailWithAnyByteChanged() throws {
        for vector in try Self.twilioVectors() where vector.file.hasSuffix(".form") {
            let body = try SharedFiles.data("payloads/\(vector.file)")
            let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .newlines)
            let parameters = FormURLEncoding.decode(text)
            let url = try #require(vector.url)
            #expect(WebhookSignatures.twilioValid(signature: vector.signature, url: url, parameters: parameters, authToken: vector.auth_token), "\(vector.file)")
            var tampered = parameters
            tampered[0].value += "x"
            #expect(!WebhookSignatures.twilioValid(signature: vector.signature, url: url, parameters: tampered, authToken: vector.auth_token))
            #expect(!WebhookSignatures.twilioValid(signature: vector.signature, url: url + "x", parameters: parameters, authToken: vector.auth_token))
            #expect(!WebhookSignatures.twilioValid(signature: vector.signature, url: url, parameters: parameters, authToken: vector.auth_token + "0"))
        }
    }

    @Test func twilioOfficialVectorWithAndWithoutThePortAndItsJSONVariant() throws {
        let vector = try #require(try Self.twilioVectors().first { $0.params != nil })
        let parameters = (vector.params ?? [:]).map { (name: $0.key, value: $0.value) }
        let url = try #require(vector.url)
        #expect(WebhookSignatures.twilioValid(signature: vector.signature, url: url, parameters: parameters, authToken: vector.auth_token))
        #expect(WebhookSignatures.twilioValid(signature: vector.signature, url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", parameters: parameters, authToken: vector.auth_token))
        let withPort = try #require(vector.also_valid_same_request?.values.first)
        #expect(WebhookSignatures.twilioValid(signature: withPort, url: url, parameters: parameters, authToken: vector.auth_token))
        let json = try #require(vector.json_body_variant)
        #expect(WebhookSignatures.twilioJSONValid(signature: json.signature, url: json.url, body: Array(json.body.utf8), authToken: vector.auth_token))
        #expect(!WebhookSignatures.twilioJSONValid(signature: json.signature, url: json.url, body: Array((json.body + " ").utf8), authToken: vector.auth_token))
    }

    /// Behind a proxy on another port (`public-base-url https://hooks.example.com:8443`) Twilio
    /// signs the URL with that port: it verifies with it, and not without it or with another.
    @Test func twilioSignaturesOverANonDefaultPortNeedThatPort() {
        let parameters = [(name: "From", value: "+15550001111"), (name: "MessageSid", value: "SM1")]
        let signed = WebhookSigner.twilio(url: "https://hooks.example.com:8443/webhooks/twilio", parameters: parameters, authToken: "token")
        #expect(WebhookSignatures.twilioValid(signature: signed, url: "https://hooks.example.com:8443/webhooks/twilio", parameters: parameters, authToken: "token"))
        #expect(!WebhookSignatures.twilioValid(signature: signed, url: "https://hooks.example.com/webhooks/twilio", parameters: parameters, authToken: "token"))
        #expect(!WebhookSignatures.twilioValid(signature: signed, url: "https://hooks.example.com:443/webhooks/twilio", parameters: parameters, authToken: "token"))
        #expect(!WebhookSignatures.twilioValid(signature: signed, url: "https://hooks.example.com:9443/webhooks/twilio", parameters: parameters, authToken: "token"))
    }

    @Test func twilioSignsRepeatedNamesWithTheirValuesInByteOrderWhateverOrderTheyArrive() {
        let token = "12345"
        let url = "https://hooks.example.com/webhooks/twilio"
        // Names in byte order (capitals first), then each repeated name's values in byte order.
        let expected = Data(HMAC.authenticationCode(
            .sha1, key: Array(token.utf8), message: Array((url + "Bodyé" + "MediaUrl0x" + "ay" + "az" + "b1" + "b2").utf8))).base64EncodedString()
        let arrivals: [[(name: String, value: String)]] = [
            [("b", "2"), ("a", "z"), ("b", "1"), ("a", "y"), ("MediaUrl0", "x"), ("Body", "é")],
            [("Body", "é"), ("MediaUrl0", "x"), ("a", "y"), ("a", "z"), ("b", "1"), ("b", "2")],
            [("a", "z"), ("b", "1"), ("Body", "é"), ("b", "2"), ("a", "y"), ("MediaUrl0", "x")],
        ]
        for parameters in arrivals {
            #expect(WebhookSigner.twilio(url: url, parameters: parameters, authToken: token) == expected)
        }
    }

    @Test func metaSamplesVerifyOverTheRawBytesAndFailWithAnyByteChanged() throws {
        let vectors = try JSONDecoder().decode([MetaVector].self, from: SharedFiles.data("payloads/whatsapp-signatures.json"))
        var checked = 0
        for vector in vectors {
            guard let file = vector.file, let secret = vector.app_secret, let signature = vector.signature else { continue }
            let body = Array(try SharedFiles.data("payloads/\(file)"))
            #expect(WebhookSignatures.metaValid(header: signature, body: body, appSecret: secret), "\(file)")
            for index in stride(from: 0, to: body.count, by: max(1, body.count / 25)) {
                var tampered = body
                tampered[index] ^= 0x01
                #expect(!WebhookSignatures.metaValid(header: signature, body: tampered, appSecret: secret))
            }
            checked += 1
        }
        #expect(checked == 6)
    }
}
