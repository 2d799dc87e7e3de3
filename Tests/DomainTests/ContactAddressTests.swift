import Testing
@testable import SwitchboardDomain
import SwitchboardTestSupport

/// Every message is normalized twice; the byte-level path must say what the rule on
/// `Character`s says, for every ASCII input.
@Suite struct ContactAddressTests {
    @Test func knownAddressesNormalizeAsRoutingMDSays() {
        #expect(ContactAddress.normalize("whatsapp:+1 (555) 123-4567") == "+15551234567")
        #expect(ContactAddress.normalize(" 15551234567\t") == "+15551234567")
        #expect(ContactAddress.normalize("WhatsApp:sms:+15551234567") == "+15551234567")
        #expect(ContactAddress.normalize("Ann.Lee@Example.COM") == "ann.lee@example.com")
        #expect(ContactAddress.normalize("US.13491208655302741918") == "US.13491208655302741918")
        #expect(ContactAddress.normalize("+1234567890123456") == "+1234567890123456")
        #expect(ContactAddress.normalize("tel:") == "")
        #expect(ContactAddress.normalize("  Zoë@Example.com ") == "zoë@example.com")
    }

    @Test func theByteLevelPathAgreesWithTheCharacterRuleOnRandomASCII() {
        let pieces = [" ", "\t", "+", "-", "(", ")", ".", "@", ":", "\r\n", "x", "Q", "US", "0", "1", "5", "9", "555", "12345678",
                      "whatsapp:", "WHATSAPP:", "sms:", "Tel:", "tel", "a@b"]
        var generator = SeededGenerator.forTest(seed: 20261128)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(ContactAddress.normalize(text) == ContactAddress.normalizeCharacters(text), "input: \(text.debugDescription)")
        }
    }
}
