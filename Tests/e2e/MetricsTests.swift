import Foundation
import SwitchboardCodec
import SwitchboardCtl
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardTestSupport
import Testing

/// Every service's `/metrics` and `/healthz` over real HTTP, after real traffic: Prometheus text
/// that `promtool check metrics` (Debian's prometheus package, installed by `.ci/run`) accepts,
/// with the gauges an operator alerts on.
@Suite(.serialized) struct MetricsTests {
    static var promtool: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func get(_ port: UInt16, _ path: String) async throws -> HTTPResponseText {
        let connection = try await RawConnection(port: port)
        try await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let response = try await connection.readHTTPResponse() else { throw TestFailure("no answer from :\(port)\(path)") }
        return response
    }

    @Test(.enabled(if: MetricsTests.promtool != nil, "needs promtool (apt-get install prometheus)"))
    func everyServiceServesMetricsPromtoolAcceptsAndHealthz() async throws {
        let folder = TemporaryDirectory()
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
        let mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false, secrets: Mesh.Secrets(consolePassword: "metrics test password"),
                            consoleHashIterations: 1000)
        defer { mesh.stop() }
        let demo = Array(try Data(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json")))
        let (config, raw) = try ConfigApplier.load(demo)
        try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
        for account in config.accounts {
            _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": AdapterChannelFactory.channel(for: account)], as: JSONValue.self)
        }
        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let request = factory.inbound(platform: .twilio, from: "+15557770001", to: "+15550003333", text: "hi", name: nil, id: "metrics-1", source: nil, at: Date())
        #expect(try await WebhookPoster.post(port: mesh.webhookPort, request) == 200)
        try await eventually {
            (try? await mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": "+15557770001"], as: ContactResponse.self)) != nil
        }

        let services: [(String, UInt16, [String])] = [
            ("adapters", mesh.webhookPort, ["switchboard_inbox_events{status=\"pending\"}", "switchboard_webhooks_total", "switchboard_forward_seconds_bucket"]),
            ("router", try mesh.router.port("http"), ["switchboard_open_contacts 1", "switchboard_outbox_pending", "switchboard_decision_seconds_bucket",
                                                      "# HELP switchboard_decisions_total"]),
            ("directory", try mesh.directory.port("http"), ["switchboard_directory_version", "switchboard_request_seconds_bucket"]),
            ("notifier", try mesh.notifier.port("http"), ["switchboard_deliveries{status=\"dead\"}", "switchboard_crm_owner_reports_pending"]),
            ("console", try mesh.console!.port("http"), ["switchboard_http_requests_total"]),
        ]
        for (name, port, expected) in services {
            let health = try await Self.get(port, "/healthz")
            #expect(health.status == 200 && health.body == "ok\n", "\(name) /healthz: \(health.status) \(health.body)")
            let metrics = try await Self.get(port, "/metrics")
            #expect(metrics.status == 200)
            for text in expected { #expect(metrics.body.contains(text), "\(name) /metrics lacks \(text)") }
            try metrics.body.write(toFile: folder.file("\(name).prom"), atomically: true, encoding: .utf8)
            let (status, output) = try runToCompletion("/bin/sh", ["-c", "\(Self.promtool!) check metrics < \(folder.file("\(name).prom"))"])
            #expect(status == 0, "promtool check metrics on \(name): \(output)")
        }
    }
}
