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
    @Test(.enabled(if: Nginx.available, "needs nginx, openssl and curl"))
    func theExampleServesSignedWebhooksAndTheConsoleOverTLSAndHidesMetrics() async throws {
        let mesh = try await ConsoleMesh()
        defer { mesh.stop() }
        let folder = TemporaryDirectory()
        let https = try Socket.unusedLoopbackPort()
        let site = try Nginx.site(
            "switchboard.conf", hosts: ["hooks.example.com", "console.example.com"], in: folder, https: https, plain: try Socket.unusedLoopbackPort(),
            replacing: [("127.0.0.1:7100", "127.0.0.1:\(mesh.mesh.webhookPort)"), ("127.0.0.1:7105", "127.0.0.1:\(mesh.client.port)")])
        let server = try Nginx.start(site, in: folder)
        defer { Nginx.stop(server) }
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
