import Foundation
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

/// The dashboard as an admin uses it: headless Chromium (installed by `.ci/run`) signs in,
/// changes an account's assignment in the form, previews and saves it; a signed webhook
/// afterwards goes to the new target. Every page is photographed on the way (desktop, and the
/// team page at a phone's width): set `SWITCHBOARD_SCREENSHOTS=docs/console` to refresh the
/// committed pictures.
@Suite(.serialized) struct ConsoleBrowserTests {
    /// `SWITCHBOARD_SCREENSHOTS` (relative to the repository), else `scratch`.
    static func screenshotFolder(scratch: TemporaryDirectory) throws -> URL {
        if let folder = ProcessInfo.processInfo.environment["SWITCHBOARD_SCREENSHOTS"], !folder.isEmpty {
            let url = URL(fileURLWithPath: folder, relativeTo: SharedFiles.repositoryRoot)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        return URL(fileURLWithPath: scratch.path)
    }

    static func save(_ browser: HeadlessChromium, _ name: String, in folder: URL, width: Int = 1200, mobile: Bool = false) throws {
        let png = try browser.screenshot(width: width, mobile: mobile)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(name) is a real picture (\(png.count) bytes)")
        try png.write(to: folder.appendingPathComponent("\(name).png"))
    }

    @Test(.enabled(if: HeadlessChromium.isInstalled, "needs chromium"))
    func anAdminChangesAnAssignmentInTheFormAndTheNextWebhookFollowsIt() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let scratch = TemporaryDirectory()
        let folder = try Self.screenshotFolder(scratch: scratch)
        let base = mesh.client.origin
        // Contacts for the contacts and report pages, routed by the demo configuration.
        _ = try await mesh.deliver(platform: .whatsapp, to: "+15550001111", from: "+15551237001")
        _ = try await mesh.deliver(platform: .imessage, to: "+15550002222", from: "+15551237002")
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try browser.openPage()

        try browser.navigate(base + "/locations/loc_acme/accounts")
        #expect(browser.location.hasSuffix("/login"), "a signed-out admin is sent to the login page")
        try Self.save(browser, "login", in: folder)
        try browser.fill("#password", "wrong password")
        try browser.clickAndWait("button[type=submit]")
        #expect(try browser.text().contains("Wrong password"))
        try browser.fill("#password", ConsoleMesh.password)
        try browser.clickAndWait("button[type=submit]")
        #expect(browser.location.hasSuffix("/locations/loc_acme/accounts"), "\(browser.location)")
        try Self.save(browser, "accounts", in: folder)

        try browser.clickAndWait("a[href$='/accounts/acc_sms']")
        #expect(try browser.text("h1").contains("Main SMS"))
        try browser.fill("#target", "user:u_carol")
        try browser.fill("#after_hours", "user:u_carol")
        _ = try browser.evaluate("document.getElementById('require_on_shift').checked = false")
        try browser.clickAndWait("button[value=preview]")
        #expect(try browser.text("#preview").contains("What would change"), "the preview shows simulate's replay")
        #expect(try browser.evaluate("document.getElementById('target').value") as? String == "user:u_carol", "the preview keeps the choice")
        try Self.save(browser, "assignment-preview", in: folder)
        try browser.clickAndWait("button[value=save]")
        let saved = try browser.text()
        #expect(saved.contains("Saved as configuration version"), "\(saved)")
        #expect(try await mesh.deliver(platform: .twilio, to: "+15550003333", from: "+15551237003") == "u_carol")

        try browser.navigate(base + "/locations/loc_acme/team")
        try Self.save(browser, "team", in: folder)
        try Self.save(browser, "team-phone", in: folder, width: 390, mobile: true)
        try browser.clickAndWait("#user-u_alice button[value=away]")
        #expect(try browser.text("#user-u_alice").contains("away"))
        try browser.navigate(base + "/locations/loc_acme/contacts")
        #expect(try browser.text().contains("+15551237003"))
        try Self.save(browser, "contacts", in: folder)
        try browser.clickAndWait("a[href$='%2B15551237003']")
        #expect(try browser.text().contains("Carol Diaz"), "the explanation names the new target")
        try Self.save(browser, "contact", in: folder)
        try browser.navigate(base + "/locations/loc_acme/report")
        #expect(try browser.evaluate("document.querySelectorAll('svg').length") as? Int == 4)
        try Self.save(browser, "report", in: folder)
    }
}
