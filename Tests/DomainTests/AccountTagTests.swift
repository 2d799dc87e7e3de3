import SwitchboardCodec
import SwitchboardDomain
import Testing

/// The tag an account writes on its contacts in GoHighLevel (`docs/configuration.md`).
@Suite struct AccountTagTests {
    static func account(_ json: String) throws -> Account {
        try WireJSON.decode(Account.self, from: Array(json.utf8))
    }

    @Test func theTagDefaultsToTheShortNameElseTheNamesSlugAndAnExplicitTagWins() throws {
        let base = #""id": "acc_sales", "platform": "whatsapp", "address": "+15550001111""#
        #expect(try Self.account("{\(base), \"name\": \"Sales Line\", \"shortName\": \"sales\"}").tag == "whatsnap-account-sales")
        #expect(try Self.account("{\(base), \"name\": \"Sales Line\"}").tag == "whatsnap-account-sales-line")
        #expect(try Self.account("{\(base), \"name\": \"Sales Line\", \"shortName\": \"Ventas (ES)\"}").tag == "whatsnap-account-ventas-es")
        #expect(try Self.account("{\(base), \"name\": \"Sales\", \"shortName\": \"x\", \"tag\": \"vip-line\"}").tag == "vip-line")
    }
}
