import Foundation
import SwitchboardCtl
import SwitchboardNet
import SwitchboardDomain
import SwitchboardPOSIX
import SwitchboardTestSupport
import Testing

/// `deploy/nginx/switchboard.conf`, the HTTPS example of `docs/https.md`, run for real on
/// loopback: only its names, certificate paths and ports are replaced (a throwaway
/// certificate, free ports). A signed webhook through it reaches the adapters and is routed,
/// the console answers through it, and the adapters' `/metrics` stays private.
@Suite(.serialized) struct NginxExampleTests {
    static let nginx = Nginx.path

    @Test(.enabled(if: Nginx.available, "needs nginx, openssl and curl"))
    func theExampleServesSignedWebhooksAndTheConsoleOverTLSAndHidesMetrics() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let folder = TemporaryDirectory()
        let (made, madeOutput) = try runToCompletion("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.com",
            "-keyout", folder.file("key.pem"), "-out", folder.file("cert.pem"),
        ])
        #expect(made == 0, "\(madeOutput)")
        let https = try Socket.unusedLoopbackPort()
        let plain = try Socket.unusedLoopbackPort()
        let consolePort = mesh.client.port
        var site = try String(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/nginx/switchboard.conf"), encoding: .utf8)
        for name in ["hooks.example.com", "console.example.com"] {
            site = site.replacingOccurrences(of: "/etc/letsencrypt/live/\(name)/fullchain.pem", with: folder.file("cert.pem"))
                .replacingOccurrences(of: "/etc/letsencrypt/live/\(name)/privkey.pem", with: folder.file("key.pem"))
        }
        site = site.replacingOccurrences(of: "listen 443 ssl http2;", with: "listen 127.0.0.1:\(https) ssl http2;")
            .replacingOccurrences(of: "listen [::]:443 ssl http2;", with: "")
            .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(plain);")
            .replacingOccurrences(of: "listen [::]:80;", with: "")
            .replacingOccurrences(of: "127.0.0.1:7100", with: "127.0.0.1:\(mesh.mesh.webhookPort)")
            .replacingOccurrences(of: "127.0.0.1:7105", with: "127.0.0.1:\(consolePort)")
        try site.write(toFile: folder.file("switchboard.conf"), atomically: true, encoding: .utf8)
        try """
            daemon off; master_process off; pid \(folder.file("nginx.pid")); error_log \(folder.file("error.log")) warn;
            events {}
            http { access_log off; client_body_temp_path \(folder.path)/body; proxy_temp_path \(folder.path)/proxy;
                   include \(folder.file("switchboard.conf")); }
            """.write(toFile: folder.file("nginx.conf"), atomically: true, encoding: .utf8)
        let (checked, checkOutput) = try runToCompletion(Self.nginx, ["-t", "-p", folder.path, "-c", folder.file("nginx.conf")])
        #expect(checked == 0, "nginx -t: \(checkOutput)")

        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.nginx)
        server.arguments = ["-p", folder.path, "-c", folder.file("nginx.conf")]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGKILL: a child of the test runner may inherit SIGTERM blocked.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        func curl(_ host: String, _ path: String, _ extra: [String] = []) throws -> (Int32, String) {
            try runToCompletion("/usr/bin/curl", [
                "-sk", "-o", "/dev/stdout", "-w", "\n%{http_code}", "--max-time", "20", "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                "--resolve", "\(host):\(https):127.0.0.1", "https://\(host):\(https)\(path)",
            ] + extra)
        }
        let (_, login) = try curl("console.example.com", "/login")
        #expect(login.hasSuffix("200") && login.contains("Admin password"), "\(login)")
        let (_, metrics) = try curl("hooks.example.com", "/metrics")
        #expect(metrics.hasSuffix("404"), "\(metrics)")

        let factory = WebhookFactory(secrets: mesh.mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let webhook = factory.inbound(platform: .whatsapp, from: "+15551238001", to: "+15550001111", text: "through TLS", name: "Proxy",
                                      id: "wamid.nginx-\(UUID().uuidString)", source: nil, at: Date())
        try Data(webhook.body).write(to: URL(fileURLWithPath: folder.file("body.json")))
        let headers = webhook.headers.flatMap { ["-H", "\($0.0): \($0.1)"] }
        let (_, posted) = try curl("hooks.example.com", webhook.path, ["-X", "POST", "--data-binary", "@" + folder.file("body.json")] + headers)
        #expect(posted.hasSuffix("200"), "\(posted)")
        let routed = try await eventually(timeout: 20) {
            let found = try? await mesh.mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": "+15551238001"], as: ContactResponse.self)
            return found?.history.isEmpty == false
        }
        #expect(routed, "the webhook that came through nginx was decided")
    }
}
