import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardCtl
import SwitchboardNet
import SwitchboardTestSupport
import Testing

/// `switchboard-console`'s JSON API over real HTTP against the real services.
@Suite(.serialized) struct ConsoleAPITests {
    @Test func everyResourceRequiresASignedInSessionAndAWrongPasswordIsRefused() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        #expect(try await client.request("GET", "/api/locations").status == 401)
        #expect(try await client.request("GET", "/api/locations/loc_acme/contacts").status == 401)
        let wrong = try await client.signIn("not the password")
        #expect(wrong.status == 401 && wrong.errorCode == "wrong_password")
        #expect(client.cookie == nil)
        let page = try await client.request("GET", "/locations/loc_acme/accounts")
        #expect(page.status == 303 && page.header("Location") == "/login")

        let signedIn = try await client.signIn(ConsoleMesh.password)
        #expect(signedIn.status == 200)
        let cookie = try #require(signedIn.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let locations = try await client.request("GET", "/api/locations")
        #expect(locations.status == 200 && locations.body.contains("\"loc_acme\""), "\(locations.body)")

        #expect(try await client.request("DELETE", "/api/session").status == 204)
        #expect(try await client.request("GET", "/api/locations").status == 401, "the session is gone after sign-out")
    }

    @Test func writesWithoutTheCSRFTokenOrFromAnotherOriginAreRefusedAndChangeNothing() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let before = try await mesh.storedVersion()
        let assignment = ["target": ["user": "u_carol"]]
        let body = Array(try JSONSerialization.data(withJSONObject: assignment))
        let noToken = try await client.request(
            "PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", body: body, contentType: "application/json", withCSRF: false)
        #expect(noToken.status == 403 && noToken.errorCode == "csrf")
        let otherSite = try await client.request(
            "PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", body: body, contentType: "application/json",
            headers: [("Origin", "https://evil.example")])
        #expect(otherSite.status == 403)
        let wrongToken = try await client.request(
            "PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", body: body, contentType: "application/json",
            headers: [("X-CSRF-Token", String(repeating: "0", count: 64))], withCSRF: false)
        #expect(wrongToken.status == 403)
        #expect(try await mesh.storedVersion() == before)
    }

    @Test func anInvalidAssignmentIsRefusedNamingTheFieldAndNothingChanges() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let before = try await mesh.storedVersion()
        let unknownUser = try await client.json("PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", ["target": ["user": "u_nobody"]])
        #expect(unknownUser.status == 422)
        #expect(unknownUser.errorField == "accounts[2].assignment.target.user", "\(unknownUser.body)")
        let misspelled = try await client.json("PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", ["target": ["user": "u_bob"], "afterHour": ["user": "u_bob"]])
        #expect(misspelled.status == 422 && misspelled.body.contains("afterHour"), "\(misspelled.body)")
        let badPatch = try await client.json("PATCH", "/api/locations/loc_acme/users/u_bob", ["maxOpen": "lots"])
        #expect(badPatch.status == 422 && badPatch.errorField?.hasPrefix("users[") == true, "\(badPatch.body)")
        #expect(try await mesh.storedVersion() == before)
        let config = try await client.request("GET", "/api/locations/loc_acme/accounts/acc_sms")
        #expect(config.body.contains("\"u_bob\""), "the stored assignment is unchanged: \(config.body)")
    }

    @Test func malformedUnknownOversizedAndMistypedRequestsGetAClear4xx() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let before = try await mesh.storedVersion()
        let path = "/api/locations/loc_acme/accounts/acc_sms/assignment"
        let malformed = try await client.request("PUT", path, body: Array("{\"target\": ".utf8), contentType: "application/json")
        #expect(malformed.status == 400 && malformed.errorCode == "bad_request", "\(malformed.body)")
        let wrongType = try await client.request("PUT", path, body: Array("target=u_bob".utf8), contentType: "application/x-www-form-urlencoded")
        #expect(wrongType.status == 415)
        let oversized = try await client.request("PUT", path, body: Array(repeating: 0x20, count: 2 << 20), contentType: "application/json")
        #expect(oversized.status == 413)
        let unknownField = try await client.json("POST", "/api/locations/loc_acme/contacts/+15551230001/assign", ["user": "u_bob", "note": "x"])
        #expect(unknownField.status == 400 && unknownField.errorField == "note", "\(unknownField.body)")
        let unknownUserField = try await client.json("PATCH", "/api/locations/loc_acme/users/u_bob", ["awy": true])
        #expect(unknownUserField.status == 400 && unknownUserField.errorField == "awy")
        let unknownPath = try await client.request("GET", "/api/locations/loc_acme/nothing")
        #expect(unknownPath.status == 404)
        let wrongMethod = try await client.request("DELETE", "/api/locations/loc_acme/report")
        #expect(wrongMethod.status == 405)
        let stale = try await client.json("PUT", path, ["target": ["user": "u_carol"]], headers: [("If-Match", "\"\(before - 1)\"")])
        #expect(stale.status == 412 && stale.errorCode == "version_changed")
        #expect(try await mesh.storedVersion() == before)
    }

    @Test func aSavedAssignmentRoutesTheNextSignedWebhookToItsNewTarget() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let read = try await client.request("GET", "/api/locations/loc_acme/accounts/acc_sms")
        let etag = try #require(read.header("ETag"))
        let saved = try await client.json(
            "PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment",
            ["target": ["user": "u_carol"], "afterHours": ["user": "u_carol"], "requireOnShift": false], headers: [("If-Match", etag)])
        #expect(saved.status == 200, "\(saved.body)")
        #expect(try saved.object()["version"] as? Int == (try await mesh.storedVersion()))
        let owner = try await mesh.deliver(platform: .twilio, to: "+15550003333", from: "+15551239001")
        #expect(owner == "u_carol")

        let explained = try await client.request("GET", "/api/locations/loc_acme/contacts/%2B15551239001/explanation")
        #expect(explained.status == 200 && explained.body.contains("u_carol"), "\(explained.body)")
        let listed = try await client.request("GET", "/api/locations/loc_acme/contacts?owner=u_carol")
        #expect(listed.body.contains("+15551239001"), "\(listed.body)")
        let assigned = try await client.json("POST", "/api/locations/loc_acme/contacts/%2B15551239001/assign", ["user": "u_bob"])
        #expect(assigned.status == 200, "\(assigned.body)")
        let contact = try await mesh.mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": "+15551239001"], as: ContactResponse.self)
        #expect(contact.contact.owner == "u_bob" && contact.contact.manual)
    }

    @Test func awayToggledInTheConsoleReachesTheDirectoryAndSurvivesALaterEdit() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let away = try await client.json("PATCH", "/api/locations/loc_acme/users/u_carol", ["away": true, "maxOpen": 5])
        #expect(away.status == 200, "\(away.body)")
        let edited = try await client.json("PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", ["target": ["user": "u_bob"]])
        #expect(edited.status == 200, "\(edited.body)")
        struct User: Decodable { var user: DirectoryUser }
        let carol = try await mesh.mesh.directoryClient.call("directory.get_user", ["id": "u_carol"], as: User.self).user
        #expect(carol.away && carol.maxOpen == 5)
    }
}

/// The dashboard's forms over plain HTTP (the browser test drives the same pages in Chromium).
@Suite(.serialized) struct ConsolePageTests {
    static func form(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&").utf8)
    }

    @Test func aTeamsQueueIsHandedOutFromTheTeamPageAndStaysSoAfterAnAssignmentEdit() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        let page = try await client.request("GET", "/locations/loc_acme/team")
        #expect(page.body.contains("waits for a person"))
        let version = try await mesh.storedVersion()
        let toggled = try await client.request(
            "POST", "/locations/loc_acme/teams/t_sales",
            body: Self.form([("csrf", client.csrf ?? ""), ("version", String(version)), ("action", "assign-queue")]),
            contentType: "application/x-www-form-urlencoded")
        #expect(toggled.status == 303, "\(toggled.body)")
        #expect(try await mesh.storedVersion() == version + 1)
        // A later edit rebuilds the document from the directory's teams: the flag must survive it.
        #expect(try await client.json("PUT", "/api/locations/loc_acme/accounts/acc_sms/assignment", ["target": ["user": "u_bob"]]).status == 200)
        struct Stored: Decodable { var config: LocationConfig }
        let config = try await mesh.mesh.routerClient.call("router.get_config", ["location": "loc_acme"], as: Stored.self).config
        #expect(config.teams.first { $0.id == "t_sales" }?.assignQueued == true)
        #expect(config.teams.first { $0.id == "t_support" }?.assignQueued == false)
        #expect(try await client.request("GET", "/locations/loc_acme/team").body.contains("handed out"))
    }

    @Test func anAccountWhosePeopleAreAllInactiveShowsLintsWarningOnItsFormAndABadFormIsShownAgainWithTheField() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let client = mesh.client
        _ = try await client.signIn(ConsoleMesh.password)
        #expect(try await client.json("PATCH", "/api/locations/loc_acme/users/u_bob", ["active": false]).status == 200)
        let page = try await client.request("GET", "/locations/loc_acme/accounts/acc_sms")
        #expect(page.status == 200)
        #expect(page.body.contains("every user of this target is inactive or not assignable"), "the warning is shown on the form")

        let version = try await mesh.storedVersion()
        let refused = try await client.request(
            "POST", "/locations/loc_acme/accounts/acc_sms",
            body: Self.form([("csrf", client.csrf ?? ""), ("version", String(version)), ("action", "save"), ("target", "user:u_ghost")]),
            contentType: "application/x-www-form-urlencoded")
        #expect(refused.status == 422 && refused.body.contains("accounts[2].assignment.target.user"), "\(refused.body)")
        #expect(try await mesh.storedVersion() == version)
        let noToken = try await client.request(
            "POST", "/locations/loc_acme/accounts/acc_sms", body: Self.form([("version", String(version)), ("action", "save"), ("target", "user:u_carol")]),
            contentType: "application/x-www-form-urlencoded")
        #expect(noToken.status == 403)
        #expect(try await mesh.storedVersion() == version)
    }
}
