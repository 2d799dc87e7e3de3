@testable import SwitchboardCrypto
import Testing

@Suite struct PasswordHashTests {
    /// RFC 7914 §11's PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1), first 32 bytes.
    @Test func derivationMatchesTheRFC7914Vector() {
        let derived = PasswordHash.derive(password: "passwd", salt: Array("salt".utf8), iterations: 1)
        #expect(Hex.encode(derived) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func aStoredHashVerifiesOnlyItsPasswordAndRoundTripsThroughItsText() throws {
        let hash = PasswordHash(password: "correct horse battery staple", iterations: 1000)
        let parsed = try #require(PasswordHash(parsing: hash.description))
        #expect(parsed == hash)
        #expect(parsed.verifies("correct horse battery staple"))
        #expect(!parsed.verifies("correct horse battery stapl"))
        #expect(!parsed.verifies(""))
        #expect(hash.description.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHash(password: "x", iterations: 1000).salt != PasswordHash(password: "x", iterations: 1000).salt, "every hash has its own salt")
    }

    @Test func malformedStoredFormsAreRefused() {
        for text in ["", "pbkdf2-sha256$1000$abcd", "sha1$1000$00112233445566778899$" + String(repeating: "0", count: 64),
                     "pbkdf2-sha256$0$0011223344556677$" + String(repeating: "0", count: 64), "pbkdf2-sha256$1000$zz$" + String(repeating: "0", count: 64),
                     "pbkdf2-sha256$1000$0011223344556677$00"] {
            #expect(PasswordHash(parsing: text) == nil, "\(text)")
        }
    }
}
