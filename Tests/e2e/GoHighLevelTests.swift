import Foundation
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardCtl
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardTestSupport
import Testing

/// GoHighLevel both ways, through the real mesh and a fake GoHighLevel that behaves like the
/// real one (`FakeGoHighLevel`: its shapes, signed webhooks, 401/404/429, rotating OAuth tokens).
@Suite(.serialized) struct GoHighLevelTests {
    /// The mesh with the fake as its CRM; `oauth`: authorized with an OAuth grant, else a fixed token.
    struct World {
        let folder: TemporaryDirectory
        let fake: FakeGoHighLevel
        let mesh: Mesh
        let location: String

        /// `acceptToken` false: GoHighLevel does not know the fixed token (revoked).
        init(config: String = "deploy/config/demo.json", oauth: Bool = false, acceptToken: Bool = true, change: (inout [String: Any]) -> Void = { _ in }) async throws {
            folder = TemporaryDirectory()
            fake = try FakeGoHighLevel(key: Mesh.Secrets.developmentGoHighLevelKey)
            var secrets = Mesh.Secrets()
            if oauth {
                let refresh = fake.grantOAuth(clientID: "client-1", clientSecret: "secret-1")
                secrets.ghlOAuth = #"{"clientId": "client-1", "clientSecret": "secret-1", "refreshToken": "\#(refresh)"}"#
            } else {
                secrets.ghlToken = "pit-" + UUID().uuidString
                if acceptToken { fake.acceptFixedToken(secrets.ghlToken!) }
            }
            let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
            mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false, secrets: secrets, crmBaseURL: fake.baseURL)
            fake.setWebhookPort(mesh.webhookPort)
            var document = try JSONSerialization.jsonObject(with: Data(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent(config))) as! [String: Any]
            change(&document)
            // Always open: what these tests route must not depend on the hour they run at.
            if var location = document["location"] as? [String: Any] {
                location["businessHours"] = nil
                document["location"] = location
            }
            let (loaded, raw) = try ConfigApplier.load(Array(try JSONSerialization.data(withJSONObject: document)))
            try await ConfigApplier.apply(loaded, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
            for account in loaded.accounts {
                _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": AdapterChannelFactory.channel(for: account)], as: JSONValue.self)
            }
            location = loaded.location.id
        }

        /// Stops the services (the fake lives in this process and ends with it).
        func stop() {
            mesh.stop()
        }

        /// A signed message from `contact` to the account `to` on `platform`.
        func write(from contact: String, to account: String, platform: Platform = .twilio) async throws {
            let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
            let request = factory.inbound(platform: platform, from: contact, to: account, text: "hello", name: nil, id: "m-\(UUID().uuidString)", source: nil, at: Date())
            let status = try await WebhookPoster.post(port: mesh.webhookPort, request)
            guard status == 200 else { throw TestFailure("webhook answered \(status)") }
        }

        func owner(_ contact: String) async throws -> (owner: String?, manual: Bool)? {
            guard let found = try? await mesh.routerClient.call("router.contact", ["location": location, "contact": contact], as: ContactResponse.self) else {
                return nil
            }
            return (found.contact.owner, found.contact.manual)
        }

        struct Delivery: Decodable {
            var status: String
            var channel: String
            var contact: String
            var lastStatus: Int?
            var lastError: String?
            var nextAttemptAt: Date?
        }

        func crmDeliveries() async throws -> [Delivery] {
            struct Listed: Decodable { var deliveries: [Delivery] }
            return try await mesh.notifierClient.call("notifier.list", ["limit": 1000], as: Listed.self).deliveries.filter { $0.channel == "crm" }
        }

        /// Waits until every CRM update so far is delivered (none pending), bounded.
        func crmSettled(count: Int) async throws -> Bool {
            try await eventually(timeout: 30) {
                let crm = try await crmDeliveries()
                return crm.count >= count && crm.allSatisfy { $0.status != "pending" }
            }
        }
    }

    @Test func aReassignmentInGoHighLevelIsKeptByRoutingAndNeverOverwritten() async throws {
        let world = try await World()
        defer { world.stop() }
        try await world.write(from: "+15551110001", to: "+15550003333")
        #expect(try await eventually { world.fake.contact(phone: "+15551110001")?.assignedTo == "u_bob" }, "Switchboard's decision reached GoHighLevel")
        let id = try #require(world.fake.contact(phone: "+15551110001")?.id)

        try await world.fake.reassign(id, to: "u_carol")
        #expect(try await eventually { try await world.owner("+15551110001")?.owner == "u_carol" }, "routing keeps the owner set in GoHighLevel")
        #expect(try await world.owner("+15551110001")?.manual == true)
        try await world.write(from: "+15551110001", to: "+15550003333")
        #expect(try await world.crmSettled(count: 1))
        #expect(try await world.owner("+15551110001")?.owner == "u_carol")
        #expect(world.fake.contact(id: id)?.assignedTo == "u_carol", "never overwritten in GoHighLevel")

        // A change GoHighLevel never announced (no webhook) is found before the next write and kept.
        let second = "+15551110002"
        try await world.write(from: second, to: "+15550003333")
        #expect(try await eventually { world.fake.contact(phone: second)?.assignedTo == "u_bob" })
        let secondID = try #require(world.fake.contact(phone: second)?.id)
        world.fake.setWebhookPort(nil)
        try await world.fake.reassign(secondID, to: "u_alice")
        world.fake.setWebhookPort(world.mesh.webhookPort)
        // Any decision that writes to GoHighLevel again: here an operator's tag.
        _ = try await world.mesh.routerClient.call(
            "router.tag", JSONValue.object(["location": .string(world.location), "contact": .string(second), "tags": .array([.string("followup")])]), as: JSONValue.self)
        let told = try await eventually { try await world.owner(second)?.owner == "u_alice" }
        let seen = try await world.crmDeliveries().map { ($0.contact, $0.status, $0.lastError ?? "") }
        #expect(told, "the notifier kept GoHighLevel's owner and told routing: \(seen)")
        #expect(world.fake.contact(id: secondID)?.assignedTo == "u_alice")
        let kept = try await world.crmDeliveries().filter { $0.contact == second }.compactMap(\.lastError)
        #expect(kept.contains { $0.contains("changed in GoHighLevel after Switchboard's last write") }, "\(kept)")
    }

    @Test func aTagAddedInGoHighLevelRoutesTheContact() async throws {
        // The Leads account assigns no one: tag routing decides an unowned contact.
        let world = try await World(config: "../shared/scenarios/09-tag-routing.json") { document in
            document = document["config"] as! [String: Any]
        }
        defer { world.stop() }
        try await world.write(from: "+15552220001", to: "+15550090002", platform: .imessage)
        #expect(try await eventually { world.fake.contact(phone: "+15552220001") != nil })
        let id = try #require(world.fake.contact(phone: "+15552220001")?.id)
        #expect(try await world.owner("+15552220001")?.owner == nil)
        try await world.fake.addTags(id, ["vip"])
        #expect(try await eventually { try await world.owner("+15552220001")?.owner == "u_vip" })
        #expect(try await eventually { world.fake.contact(id: id)?.assignedTo == "u_vip" }, "and the tag's owner is written to GoHighLevel")
    }

    @Test func goLiveOverContactsAlreadyOwnedInGoHighLevelKeepsTheirOwners() async throws {
        let world = try await World()
        defer { world.stop() }
        let id = world.fake.preexisting(location: "loc_acme", phone: "+15553330001", owner: "u_carol")
        try await world.write(from: "+15553330001", to: "+15550003333")
        #expect(try await world.crmSettled(count: 1))
        #expect(world.fake.contact(id: id)?.assignedTo == "u_carol", "the existing owner is not overwritten")
        #expect(!world.fake.calls.contains { $0.method == "PUT" && $0.path == "/contacts/\(id)" })
        #expect(try await eventually { try await world.owner("+15553330001")?.owner == "u_carol" }, "routing takes the owner GoHighLevel had")
        let contact = try await world.mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": "+15553330001"], as: ContactResponse.self)
        #expect(contact.history.last?.trace.event.contains("in GoHighLevel") == true)
    }

    @Test func anExpiredAccessTokenIsRefreshedAndNoUpdateIsLost() async throws {
        let world = try await World(oauth: true)
        defer { world.stop() }
        try await world.write(from: "+15554440001", to: "+15550003333")
        #expect(try await world.crmSettled(count: 1))
        world.fake.expireAccessTokens()
        for index in 2...4 { try await world.write(from: "+1555444000\(index)", to: "+15550003333") }
        #expect(try await world.crmSettled(count: 4))
        let crm = try await world.crmDeliveries()
        #expect(crm.allSatisfy { $0.status == "delivered" }, "\(crm.map { ($0.status, $0.lastError ?? "") })")
        for index in 1...4 { #expect(world.fake.contact(phone: "+1555444000\(index)")?.assignedTo == "u_bob") }
        #expect(world.fake.calls.filter { $0.path == "/oauth/token" && $0.status == 200 }.count == 2, "one refresh at start, one after the expiry")
        #expect(world.fake.calls.contains { $0.status == 401 }, "the expired token was refused once")
    }

    @Test func aRevokedTokenIsADeadLetterThatSaysSoNotARetryLoop() async throws {
        let world = try await World(acceptToken: false)
        defer { world.stop() }
        try await world.write(from: "+15554449001", to: "+15550003333")
        #expect(try await world.crmSettled(count: 1))
        let crm = try await world.crmDeliveries()
        #expect(crm.first?.status == "dead" && crm.first?.lastError?.contains("replace the ghl-token credential") == true, "\(crm.map { ($0.status, $0.lastError ?? "") })")
        #expect(world.fake.calls.filter { $0.status == 401 }.count == 1, "refused once, not retried")
    }

    @Test func aDailyQuota429WaitsForTheNextDayInsteadOfRetrying() async throws {
        let world = try await World()
        defer { world.stop() }
        world.fake.setDailyQuota("loc_acme", remaining: 0)
        try await world.write(from: "+15555550001", to: "+15550003333")
        var waiting: World.Delivery?
        try await eventually(timeout: 20) {
            waiting = try await world.crmDeliveries().first { $0.lastStatus == 429 }
            return waiting != nil
        }
        let delivery = try #require(waiting)
        #expect(delivery.status == "pending")
        let nextDay = (floor(Date().timeIntervalSince1970 / 86_400) + 1) * 86_400
        #expect(delivery.nextAttemptAt.map { abs($0.timeIntervalSince1970 - nextDay) < 1 } == true, "\(String(describing: delivery.nextAttemptAt))")
        // The next attempt waits for the next day (above); so far GoHighLevel was called once.
        #expect(world.fake.calls.filter { $0.status == 429 }.count == 1)
    }

    @Test func aContactDeletedInGoHighLevelIsCreatedAgainOnceNotDeadLettered() async throws {
        let world = try await World()
        defer { world.stop() }
        try await world.write(from: "+15556660001", to: "+15550003333")
        #expect(try await eventually { world.fake.contact(phone: "+15556660001")?.assignedTo == "u_bob" })
        let first = try #require(world.fake.contact(phone: "+15556660001")?.id)
        try await world.fake.delete(first)
        #expect(try await eventually {
            let found = try? await world.mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": "+15556660001"], as: ContactResponse.self)
            return found?.contact.open == false
        }, "routing resolves a contact deleted in GoHighLevel")
        try await world.write(from: "+15556660001", to: "+15550003333")
        #expect(try await world.crmSettled(count: 2))
        let again = try #require(world.fake.contact(phone: "+15556660001"))
        #expect(again.id != first && again.assignedTo == "u_bob", "created again with its owner")
        #expect(world.fake.calls.filter { $0.path == "/contacts/upsert" }.count == 2, "once more, not in a loop")
        let outcomes = try await world.crmDeliveries().map { ($0.status, $0.lastError ?? "") }
        #expect(!outcomes.contains { $0.0 == "dead" }, "nothing dead-lettered: \(outcomes)")
    }
}

/// The directory's users from GoHighLevel's `GET /users/`, and `apply`'s id check, through the
/// real `switchboardctl`.
@Suite(.serialized) struct GoHighLevelUsersTests {
    static func ctl(_ arguments: [String], _ world: GoHighLevelTests.World) throws -> (Int32, String) {
        let mesh = world.mesh
        let process = try ChildProcess("switchboardctl", arguments + [
            "--router", "127.0.0.1:\(mesh.routerClient.options.port)", "--directory", "127.0.0.1:\(mesh.directoryClient.options.port)",
            "--notifier", "127.0.0.1:\(mesh.notifierClient.options.port)",
        ])
        let status = try process.waitForExit(timeout: 60)
        return (status, (process.stdoutLines + process.stderrLines).joined(separator: "\n"))
    }

    static func user(_ id: String, _ world: GoHighLevelTests.World) async throws -> DirectoryUser {
        struct Found: Decodable { var user: DirectoryUser }
        return try await world.mesh.directoryClient.call("directory.get_user", ["id": id], as: Found.self).user
    }

    @Test func directorySyncTakesGoHighLevelsUsersKeepsWhatSwitchboardOwnsAndDeactivatesTheRemoved() async throws {
        let world = try await GoHighLevelTests.World()
        defer { world.stop() }
        let alice: [String: Any] = ["id": "u_alice", "name": "Alice Ng-Smith", "email": "alice@example.com",
                                    "permissions": ["contactsEnabled": true, "conversationsEnabled": false], "deleted": false]
        let newcomer: [String: Any] = ["id": "ghl_Y0BeYjuRIlDw", "firstName": "Ana", "lastName": "Ruiz", "permissions": ["contactsEnabled": true], "deleted": false]
        world.fake.setUsers("loc_acme", [alice, newcomer])
        let (synced, output) = try Self.ctl(["directory", "sync", "--location", "loc_acme"], world)
        #expect(synced == 0, "\(output)")
        let ana = try await Self.user("ghl_Y0BeYjuRIlDw", world)
        #expect(ana.name == "Ana Ruiz" && ana.active && ana.assignable && ana.crmSynced == true)
        let syncedAlice = try await Self.user("u_alice", world)
        #expect(syncedAlice.name == "Alice Ng-Smith" && !syncedAlice.assignable, "no conversations in GoHighLevel: not assignable")
        #expect(syncedAlice.maxOpen == 40 && syncedAlice.skills == ["spanish"] && syncedAlice.schedule != nil, "what Switchboard owns is kept")

        world.fake.setUsers("loc_acme", [alice])
        #expect(try Self.ctl(["directory", "sync", "--location", "loc_acme"], world).0 == 0)
        #expect(try await Self.user("ghl_Y0BeYjuRIlDw", world).active == false, "removed in GoHighLevel: inactive")
        #expect(try await Self.user("u_oncall", world).active, "a user configured by hand is left alone")
    }

    @Test func applyWarnsAboutIdsGoHighLevelDoesNotKnowAndStillApplies() async throws {
        let world = try await GoHighLevelTests.World()
        defer { world.stop() }
        world.fake.setUsers("loc_acme", [["id": "u_alice", "name": "Alice"], ["id": "u_bob", "name": "Bob"]])
        let demo = SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json").path
        let (status, output) = try Self.ctl(["apply", "-f", demo], world)
        #expect(status == 0, "\(output)")
        #expect(output.contains("users[5].id: u_dana is not a GoHighLevel user of loc_acme"), "\(output)")
        #expect(!output.contains("users[1].id: u_alice"))
        #expect(output.contains("applied"))
    }
}
