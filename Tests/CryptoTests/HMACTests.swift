import Testing
@testable import SwitchboardCrypto

@Suite struct HMACTests {
    /// RFC 4231 test cases 1, 2 and 6 (HMAC-SHA-256).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func sha256MatchesRFC4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(Hex.encode(HMAC.authenticationCode(.sha256, key: key, message: message)) == expected)
    }

    /// RFC 2202 test case 2 (HMAC-SHA-1).
    @Test func sha1MatchesRFC2202() {
        #expect(Hex.encode(HMAC.authenticationCode(.sha1, key: "Jefe", message: "what do ya want for nothing?"))
            == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test func constantTimeEqualityComparesContentAndLength() {
        #expect(ConstantTime.equals("secret", "secret"))
        #expect(!ConstantTime.equals("secret", "secreT"))
        #expect(!ConstantTime.equals("secret", "secrets"))
        #expect(ConstantTime.equals("", ""))
    }

    @Test func hexRoundTripsAndRejectsOddOrNonHexInput() {
        #expect(Hex.decode("00ff10Ab") == [0, 255, 16, 171])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(SecureRandom.hex(16).count == 32)
    }
}
