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
        let (made, madeOutput) = try runToCompletion("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.example.com",
            "-keyout", folder.file("key.pem"), "-out", folder.file("cert.pem"),
        ])
        #expect(made == 0, "\(madeOutput)")
        let https = try Socket.unusedLoopbackPort()
        var site = try String(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/nginx/switchboard-scaled.conf"), encoding: .utf8)
        site = site.replacingOccurrences(of: "/etc/letsencrypt/live/hooks.example.com/fullchain.pem", with: folder.file("cert.pem"))
            .replacingOccurrences(of: "/etc/letsencrypt/live/hooks.example.com/privkey.pem", with: folder.file("key.pem"))
            .replacingOccurrences(of: "listen 443 ssl http2;", with: "listen 127.0.0.1:\(https) ssl http2;")
            .replacingOccurrences(of: "listen [::]:443 ssl http2;", with: "")
            .replacingOccurrences(of: "127.0.0.1:7100 ", with: "127.0.0.1:\(mesh.webhookPorts[0]) ")
            .replacingOccurrences(of: "127.0.0.1:7110 ", with: "127.0.0.1:\(mesh.webhookPorts[1]) ")
        try site.write(toFile: folder.file("site.conf"), atomically: true, encoding: .utf8)
        try """
            daemon off; master_process off; pid \(folder.file("nginx.pid")); error_log \(folder.file("error.log")) warn;
            events {}
            http { access_log off; client_body_temp_path \(folder.path)/body; proxy_temp_path \(folder.path)/proxy;
                   include \(folder.file("site.conf")); }
            """.write(toFile: folder.file("nginx.conf"), atomically: true, encoding: .utf8)
        let (checked, checkOutput) = try runToCompletion(Nginx.path, ["-t", "-p", folder.path, "-c", folder.file("nginx.conf")])
        #expect(checked == 0, "nginx -t: \(checkOutput)")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Nginx.path)
        server.arguments = ["-p", folder.path, "-c", folder.file("nginx.conf")]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }

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
        let done = try await mesh.adaptersClients.asyncMap { try await $0.call("adapters.inbox", ["status": "done"], as: Inbox.self).events.count }
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

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
