import Foundation
import SwitchboardCrypto
import Testing

@Suite struct RSASignatureTests {
    @Test func aSignatureVerifiesWithItsKeyOnlyOverTheExactBytes() throws {
        let key = RSASigningKey()
        let body = Array(#"{"type":"ContactTagUpdate","webhookId":"w1"}"#.utf8)
        let signature = key.signBase64(body)
        #expect(RSASignature.verify(message: body, signatureBase64: signature, publicKeyPEM: key.publicKeyPEM))
        var changed = body
        changed[changed.count - 2] ^= 1
        #expect(!RSASignature.verify(message: changed, signatureBase64: signature, publicKeyPEM: key.publicKeyPEM), "any byte changed")
        #expect(!RSASignature.verify(message: body, signatureBase64: signature, publicKeyPEM: RSASigningKey().publicKeyPEM), "another key")
        #expect(!RSASignature.verify(message: body, signatureBase64: "not base64!", publicKeyPEM: key.publicKeyPEM))
        #expect(!RSASignature.verify(message: body, signatureBase64: signature, publicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))
    }

    @Test func goHighLevelsPublishedKeyParses() {
        #expect(RSASignature.PublicKey(pem: GoHighLevelKeys.webhookPublicKeyPEM) != nil)
    }
}
