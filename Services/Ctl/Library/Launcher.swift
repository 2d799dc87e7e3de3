import Foundation
import SwitchboardNet
import SwitchboardOperations
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardDomain
import SwitchboardRuntime

/// `switchboardctl up`: the whole mesh on the documented ports with the demo configuration,
/// logs prefixed by service, until Ctrl-C.
enum Launcher {
    /// Sends one signed webhook per account and prints who got each contact and why.
    static func demo(_ mesh: Mesh, config: LocationConfig) async throws {
        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let playback = Playback(mesh: mesh, config: config, factory: factory)
        for (index, account) in config.accounts.enumerated() {
            let contact = "+1555010\(String(format: "%04d", index))"
            let request = factory.inbound(platform: account.platform, from: contact, to: account.address, text: "Hi! Demo message \(index + 1)",
                                          name: "Demo \(index + 1)", id: "demo-\(UUID().uuidString)", source: nil, at: Date())
            let status = try await WebhookPoster.post(port: mesh.webhookPort, request)
            _ = try await playback.drained()
            struct Explained: Decodable { var sentences: [String] }
            say("\n\(account.name) (\(account.platform)): webhook answered \(status)")
            let explained = try await mesh.routerClient.call("router.explain", ["location": config.location.id, "contact": contact], as: Explained.self)
            for line in explained.sentences { say("  \(line)") }
        }
    }

    static func run(_ arguments: CtlCommand.Arguments) async throws -> Int32 {
        let signals = TerminationSignals()
        let state = arguments.options["state"] ?? "state"
        let configFile = arguments.options["config"] ?? "deploy/config/demo.json"
        // The console's first-login secret: new for every `up`, printed once, only its hash kept.
        let consolePassword = SecureRandom.hex(10)
        let mesh = try Mesh(
            binaries: CtlCommand.binaries(arguments), stateFolder: state, testClock: false, fixedPorts: true, echo: true,
            secrets: Mesh.Secrets(consolePassword: consolePassword))
        do {
            let (config, raw) = try ConfigApplier.load(Array(try Data(contentsOf: URL(fileURLWithPath: configFile))))
            try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
            for account in config.accounts {
                let channel = AdapterChannelFactory.channel(for: account)
                _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": channel], as: JSONValue.self)
            }
            say("""

                Switchboard is up with \(configFile) (location \(config.location.id)); state in \(state)/.
                  Console:  http://127.0.0.1:\(try mesh.console?.port("http") ?? 7105)/   admin password for this run: \(consolePassword)
                  Webhooks: http://127.0.0.1:\(mesh.webhookPort)/webhooks/twilio, …/twilio/status, …/whatsapp, …/imessage
                  Lines:    adapters 7101, router 7102, directory 7103, notifier 7104
                  Metrics:  http://127.0.0.1:{7100,7112,7113,7114,7105}/metrics (adapters, router, directory, notifier, console), /healthz beside each
                  Development secrets were generated for this run; try `switchboardctl get loads --location \(config.location.id)`.
                Ctrl-C stops everything.
                """)
            if arguments.flags.contains("demo") { try await demo(mesh, config: config) }
        } catch {
            mesh.stop()
            throw error
        }
        _ = await signals.wait()
        mesh.stop()
        return 0
    }
}

/// Prints a line and flushes it, so output reaches a pipe at once (the launcher runs for hours).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
