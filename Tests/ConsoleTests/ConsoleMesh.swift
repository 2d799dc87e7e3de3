import Foundation
import SwitchboardCodec
import SwitchboardCtl
import SwitchboardNet
import SwitchboardDomain
import SwitchboardOperations
import SwitchboardTestSupport

/// The real mesh as the console tests use it: the four services and `switchboard-console` as
/// child processes, a line token required everywhere (as installed), the demo configuration
/// applied and the adapters' channels registered.
struct ConsoleMesh {
    static let password = "correct horse battery staple"

    let folder: TemporaryDirectory
    let mesh: Mesh
    let config: LocationConfig
    let client: ConsoleClient

    init() async throws {
        folder = TemporaryDirectory()
        let binaries = try BuildProducts.executable("switchboard-console").deletingLastPathComponent()
        mesh = try Mesh(
            binaries: binaries, stateFolder: folder.file("state"), testClock: false,
            secrets: Mesh.Secrets(lineToken: "line-" + UUID().uuidString, consolePassword: Self.password), consoleHashIterations: 1000)
        let demo = Array(try Data(contentsOf: SharedFiles.repositoryRoot.appendingPathComponent("deploy/config/demo.json")))
        let (config, raw) = try ConfigApplier.load(demo)
        try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
        for account in config.accounts {
            _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": AdapterChannelFactory.channel(for: account)], as: JSONValue.self)
        }
        self.config = config
        client = ConsoleClient(port: try mesh.console!.port("http"))
    }

    func stop() { mesh.stop() }

    /// The version the router stores for the demo location.
    func storedVersion() async throws -> Int {
        try await mesh.routerClient.call("router.get_config", ["location": "loc_acme"], as: ConfigResponse.self).version
    }

    /// Posts a signed inbound webhook to the adapters and waits (bounded) until the router has
    /// decided the contact; answers its owner.
    func deliver(platform: Platform, to account: String, from contact: String) async throws -> String? {
        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let request = factory.inbound(platform: platform, from: contact, to: account, text: "hello", name: "Test", id: "console-\(UUID().uuidString)",
                                      source: nil, at: Date())
        let status = try await WebhookPoster.post(port: mesh.webhookPort, request)
        guard status == 200 else { throw TestFailure("the webhook was answered \(status)") }
        var owner: String?
        try await eventually(timeout: 20) {
            guard let found = try? await mesh.routerClient.call("router.contact", ["location": "loc_acme", "contact": contact], as: ContactResponse.self),
                  !found.history.isEmpty else { return false }
            owner = found.contact.owner
            return true
        }
        return owner
    }
}
