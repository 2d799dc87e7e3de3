import Foundation
import SwitchboardAdapters
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRuntime

/// `switchboardctl up`: the whole mesh on the documented ports with the demo configuration,
/// logs prefixed by service, until Ctrl-C.
enum Launcher {
    static func run(_ arguments: CtlCommand.Arguments) async throws -> Int32 {
        let signals = TerminationSignals()
        let state = arguments.options["state"] ?? "state"
        let configFile = arguments.options["config"] ?? "deploy/config/demo.json"
        let mesh = try Mesh(binaries: CtlCommand.binaries(arguments), stateFolder: state, testClock: false, fixedPorts: true, echo: true)
        do {
            let (config, raw) = try ConfigApplier.load(Array(try Data(contentsOf: URL(fileURLWithPath: configFile))))
            try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routerClient)
            for account in config.accounts {
                let channel = AdapterChannel(id: account.id, platform: account.platform, account: account.address,
                                             phoneNumberId: account.platform == "whatsapp" ? WebhookFactory.phoneNumberID(account.address) : nil)
                _ = try await mesh.adaptersClient.call("adapters.put_channel", ["channel": channel], as: JSONValue.self)
            }
            print("""

                Switchboard is up with \(configFile) (location \(config.location.id)); state in \(state)/.
                  Webhooks: http://127.0.0.1:\(mesh.webhookPort)/webhooks/twilio, …/twilio/status, …/whatsapp, …/imessage
                  Lines:    adapters 7101, router 7102, directory 7103, notifier 7104
                  Development secrets were generated for this run; try `switchboardctl get loads --location \(config.location.id)`.
                Ctrl-C stops everything.
                """)
        } catch {
            mesh.stop()
            throw error
        }
        _ = await signals.wait()
        mesh.stop()
        return 0
    }
}
