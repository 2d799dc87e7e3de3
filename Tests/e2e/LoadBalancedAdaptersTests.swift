import Foundation
import SwitchboardCodec
import SwitchboardCtl
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardPOSIX
import SwitchboardTestSupport
import Testing

/// `deploy/nginx/switchboard-scaled.conf` run for real on loopback (only names, certificate
/// paths and ports replaced): nginx spreads signed webhooks over two adapters instances, a
/// webhook posted twice is decided once, and with one instance stopped nginx sends everything
/// to the other.
@Suite(.serialized) struct LoadBalancedAdaptersTests {
    @Test(.enabled(if: Nginx.available, "needs nginx, openssl and curl"), .timeLimit(.minutes(3)))
    func nginxSpreadsWebhooksOverTwoAdaptersAndAFailedOneIsPassedOver() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await PartitionedMeshTests.start(folder, layout: Mesh.Layout(routers: 2, adapters: 2))
        defer { mesh.stop() }
        let https = try Socket.unusedLoopbackPort()
        let site = try Nginx.site(
            "switchboard-scaled.conf", hosts: ["hooks.example.com"], in: folder, https: https,
            replacing: [("127.0.0.1:7100 ", "127.0.0.1:\(mesh.webhookPorts[0]) "), ("127.0.0.1:7110 ", "127.0.0.1:\(mesh.webhookPorts[1]) ")])
        let server = try Nginx.start(site, in: folder)
        defer { Nginx.stop(server) }

        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        /// Posts contact `index`'s message (to its location's line) through nginx.
        func post(_ index: Int) throws -> String {
            let request = factory.inbound(
                platform: .twilio, from: "+1557\(String(format: "%07d", index))", to: "+1555770\(String(format: "%04d", index % PartitionedMeshTests.locations))",
                text: "through the balancer", name: nil, id: "SMlb\(index)", source: nil, at: Date())
            try Data(request.body).write(to: URL(fileURLWithPath: folder.file("body-\(index)")))
            // Twilio signs the URL it calls; the mesh's lines are set up for http://127.0.0.1.
            let (_, output) = try runToCompletion("/usr/bin/curl", [
                "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                "--resolve", "hooks.example.com:\(https):127.0.0.1", "https://hooks.example.com:\(https)\(request.path)",
                "-X", "POST", "--data-binary", "@" + folder.file("body-\(index)"),
            ] + request.headers.flatMap { ["-H", "\($0.0): \($0.1)"] })
            return output
        }
        // Twenty contacts, each posted twice: nginx alternates, so most pairs land on both.
        for index in 0..<20 {
            #expect(try post(index) == "200")
            #expect(try post(index) == "200")
        }
        try await eventually(timeout: 30, every: .milliseconds(20)) { try await mesh.isDrained() }
        struct Inbox: Decodable { var events: [JSONValue]; enum CodingKeys: String, CodingKey { case events } }
        var done: [Int] = []
        for client in mesh.adaptersClients { done.append(try await client.call("adapters.inbox", ["status": "done"], as: Inbox.self).events.count) }
        #expect(done.allSatisfy { $0 > 0 }, "both instances took webhooks: \(done)")

        // One instance goes away: nginx passes it over and nothing is refused.
        mesh.adaptersInstances[1].stop()
        for index in 20..<30 { #expect(try post(index) == "200") }
        try await eventually(timeout: 30, every: .milliseconds(20)) {
            (try? await mesh.adaptersClients[0].call("adapters.pending", EmptyBody(), as: [String: Int].self)["pending"]) == 0
        }
        var decisions: [Int?] = []
        for index in 0..<30 {
            let location = "loc_p\(index % PartitionedMeshTests.locations)"
            decisions.append(try await PartitionedMeshTests.decisions(mesh, location: location, contact: "+1557\(String(format: "%07d", index))"))
        }
        #expect(decisions.allSatisfy { $0 == 1 }, "every contact decided exactly once: \(decisions)")
    }
}
