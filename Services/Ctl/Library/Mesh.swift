public import Foundation
import Synchronization
import SwitchboardCodec
public import SwitchboardCrypto
public import SwitchboardNet
import SwitchboardPOSIX

/// All four services started as child processes on free loopback ports, with generated
/// secrets, in one state folder: the scenario runner's fresh mesh and the local launcher.
public final class Mesh: Sendable {
    /// Secrets generated for this mesh; handed to services in the environment.
    public struct Secrets: Sendable {
        public var twilioAuthToken = SecureRandom.hex(16)
        public var whatsAppAppSecret = SecureRandom.hex(16)
        public var whatsAppVerifyToken = SecureRandom.hex(8)
        public var bridgeSigningSecret = SecureRandom.hex(16)
        public var webhookSecret = SecureRandom.hex(24)
        /// The line token every service requires and every client presents, as the installed
        /// units have it; nil: an open mesh (development).
        public var lineToken: String?
        /// The console's admin password, when the mesh runs the console; only its hash reaches
        /// the console.
        public var consolePassword: String?
        /// The notifier's GoHighLevel credential: a fixed token, or an OAuth grant's JSON
        /// (`{"clientId", "clientSecret", "refreshToken"}`); neither: no CRM sync.
        public var ghlToken: String?
        public var ghlOAuth: String?
        /// Stands in for GoHighLevel's private key: the adapters are given its public half.
        public var goHighLevelKey = Secrets.developmentGoHighLevelKey

        /// One key per process (an RSA key takes a moment to make, and every mesh needs one).
        public static let developmentGoHighLevelKey = RSASigningKey()

        public init(lineToken: String? = nil, consolePassword: String? = nil) {
            self.lineToken = lineToken
            self.consolePassword = consolePassword
        }
    }

    public let secrets: Secrets
    /// How many router and adapters instances the mesh runs (docs/scaling.md). With more than
    /// one router, the instances are `r1`…`rN`, each with its own file, and every service finds
    /// a location's instance through the partition file the mesh writes (``partitionFile``).
    public struct Layout: Sendable {
        public var routers: Int
        public var adapters: Int
        public init(routers: Int = 1, adapters: Int = 1) {
            self.routers = max(1, routers)
            self.adapters = max(1, adapters)
        }
    }

    public let directory: ServiceProcess
    public let notifier: ServiceProcess
    /// The router instances' names, in order (`router` alone, or `r1`…`rN`).
    public let routerNames: [String]
    /// The first router instance's process (replaced by ``restartRouter(_:)``).
    public var router: ServiceProcess { routerProcesses.withLock { $0[routerNames[0]]! } }
    private let routerProcesses: Mutex<[String: ServiceProcess]>
    private let routerStarters: [String: @Sendable () throws -> ServiceProcess]
    /// Every adapters instance; ``adapters`` is the first.
    public let adaptersInstances: [ServiceProcess]
    public var adapters: ServiceProcess { adaptersInstances[0] }
    public let directoryClient: LineClient
    public let notifierClient: LineClient
    /// The first router instance's client; ``routers`` finds any location's.
    public let routerClient: LineClient
    public let routers: RouterRing
    public let adaptersClient: LineClient
    /// Every adapters instance's line client, in order.
    public let adaptersClients: [LineClient]
    /// `switchboard-console`, started when ``Secrets/consolePassword`` is set.
    public let console: ServiceProcess?
    /// The first adapters instance's webhook port; ``webhookPorts`` has every instance's.
    public var webhookPort: UInt16 { webhookPorts[0] }
    public let webhookPorts: [UInt16]
    public let stateFolder: String
    /// The partition file, with more than one router instance.
    public let partitionFile: String?

    /// Starts the mesh. `fixedPorts` uses the documented defaults (7100–7105) instead of free ports.
    /// `consoleHashIterations`: PBKDF2 iterations of the console password's hash (tests use few).
    /// `crmBaseURL`: the GoHighLevel API the notifier calls (a test's fake), with the
    /// `ghl-token`/`ghl-oauth` the environment gives.
    public init(
        binaries: URL, stateFolder: String, testClock: Bool, fixedPorts: Bool = false, echo: Bool = false, secrets: Secrets = Secrets(),
        consoleHashIterations: Int = PasswordHash.defaultIterations, crmBaseURL: String? = nil, layout: Layout = Layout()
    ) throws {
        self.secrets = secrets
        self.stateFolder = stateFolder
        try FileManager.default.createDirectory(atPath: stateFolder, withIntermediateDirectories: true)
        func port(_ fixed: Int) -> String { fixedPorts ? "127.0.0.1:\(fixed)" : "127.0.0.1:0" }
        var environment = [
            "SWITCHBOARD_WEBHOOK_SECRET": secrets.webhookSecret,
            "SWITCHBOARD_TWILIO_AUTH_TOKEN": secrets.twilioAuthToken,
            "SWITCHBOARD_WHATSAPP_APP_SECRET": secrets.whatsAppAppSecret,
            "SWITCHBOARD_WHATSAPP_VERIFY_TOKEN": secrets.whatsAppVerifyToken,
            "SWITCHBOARD_BRIDGE_SIGNING_SECRET": secrets.bridgeSigningSecret,
        ]
        if let token = secrets.ghlToken { environment["SWITCHBOARD_GHL_TOKEN"] = token }
        if let grant = secrets.ghlOAuth { environment["SWITCHBOARD_GHL_OAUTH"] = grant }
        if let token = secrets.lineToken {
            for name in ["TOKEN", "DIRECTORY_TOKEN", "NOTIFIER_TOKEN", "ROUTER_TOKEN"] { environment["SWITCHBOARD_\(name)"] = token }
        }
        let serviceEnvironment = environment
        @Sendable func start(_ name: String, _ arguments: [String], adding more: [String: String] = [:]) throws -> ServiceProcess {
            try ServiceProcess(
                name: name, binary: binaries.appendingPathComponent("switchboard-\(name)"), arguments: arguments,
                environment: serviceEnvironment.merging(more) { _, added in added }, echo: echo)
        }
        // A service that fails to start leaves none of those started before it running: the
        // caller gets the error and no mesh to stop.
        var started: [ServiceProcess] = []
        var complete = false
        defer { if !complete { for service in started.reversed() { service.stop() } } }
        func tracked(_ service: ServiceProcess) -> ServiceProcess {
            started.append(service)
            return service
        }
        // The notifier reports to the routers and the routers send to the notifier: the routers'
        // ports are chosen first so both can be told them.
        let names = layout.routers == 1 ? ["router"] : (1...layout.routers).map { "r\($0)" }
        routerNames = names
        var routerAddresses: [String: String] = [:]
        for (index, name) in names.enumerated() {
            routerAddresses[name] = fixedPorts ? "127.0.0.1:\(7102 + index * 10)" : "127.0.0.1:\(try Socket.unusedLoopbackPort())"
        }
        // How the other services find a location's router: the one address, or the partition file.
        let routerSettings: [String]
        if layout.routers > 1 {
            let file = stateFolder + "/partitions.json"
            let map = PartitionMap(routers: routerAddresses)
            try Data(try WireJSON.prettyEncoder.encode(map)).write(to: URL(fileURLWithPath: file))
            partitionFile = file
            routerSettings = ["--partitions", file]
        } else {
            partitionFile = nil
            routerSettings = ["--router", routerAddresses["router"]!]
        }
        directory = tracked(try start("directory", ["--listen", port(7103), "--database", stateFolder + "/directory.sqlite", "--http", port(7113)]))
        let directoryPort = try directory.port("lines")
        notifier = tracked(try start("notifier", [
            "--listen", port(7104), "--database", stateFolder + "/notifier.sqlite", "--retry-initial", "0.2",
            "--directory", "127.0.0.1:\(directoryPort)", "--http", port(7114),
        ] + routerSettings + (crmBaseURL.map { ["--crm-base-url", $0] } ?? [])))
        let notifierPort = try notifier.port("lines")
        // Each router listens on the address chosen above, so a restarted one is found again.
        var starters: [String: @Sendable () throws -> ServiceProcess] = [:]
        var processes: [String: ServiceProcess] = [:]
        for (index, name) in names.enumerated() {
            let arguments = [
                "--listen", routerAddresses[name]!, "--database", stateFolder + "/\(name).sqlite", "--http", port(7112 + index * 10),
                "--directory", "127.0.0.1:\(directoryPort)", "--notifier", "127.0.0.1:\(notifierPort)", "--test-clock", testClock ? "true" : "false",
            ]
            starters[name] = { try start("router", arguments) }
            processes[name] = tracked(try starters[name]!())
        }
        for name in names { _ = try processes[name]!.port("lines") }
        routerStarters = starters
        routerProcesses = Mutex(processes)
        let goHighLevelKeyFile = stateFolder + "/ghl-webhook-public-key.pem"
        try secrets.goHighLevelKey.publicKeyPEM.write(toFile: goHighLevelKeyFile, atomically: true, encoding: .utf8)
        adaptersInstances = try (0..<layout.adapters).map { index in
            tracked(try start("adapters", [
                "--ghl-webhook-public-key-file", goHighLevelKeyFile,
                "--listen", port(7101 + index * 10), "--http", port(7100 + index * 10),
                "--database", stateFolder + (index == 0 ? "/adapters.sqlite" : "/adapters-\(index + 1).sqlite"),
                "--public-base-url", "http://127.0.0.1", "--test-clock", testClock ? "true" : "false",
            ] + routerSettings))
        }
        let adaptersPorts = try adaptersInstances.map { try $0.port("lines") }
        webhookPorts = try adaptersInstances.map { try $0.port("http") }
        if let password = secrets.consolePassword {
            console = tracked(try start("console", [
                "--listen", port(7105), "--database", stateFolder + "/console.sqlite", "--directory", "127.0.0.1:\(directoryPort)",
            ] + routerSettings, adding: ["SWITCHBOARD_CONSOLE_PASSWORD_HASH": PasswordHash(password: password, iterations: consoleHashIterations).description]))
        } else {
            console = nil
        }
        var template = LineClientOptions(host: "127.0.0.1", port: 1)
        template.token = secrets.lineToken
        template.clientName = "switchboardctl"
        func client(_ port: UInt16) -> LineClient {
            var options = template
            options.port = port
            return LineClient(options: options)
        }
        directoryClient = client(directoryPort)
        notifierClient = client(notifierPort)
        if let partitionFile {
            routers = try RouterRing(partitionFile: partitionFile, template: template)
        } else {
            var options = template
            options.port = UInt16(routerAddresses["router"]!.split(separator: ":").last!)!
            routers = RouterRing(single: options)
        }
        routerClient = routers.client(named: names[0])
        adaptersClients = adaptersPorts.map(client)
        adaptersClient = adaptersClients[0]
        complete = true
    }

    /// Kills a router instance (the first by default) with SIGKILL and starts it again on its
    /// file and address: what a crash and systemd's restart do. Returns once the new process
    /// listens.
    public func restartRouter(_ name: String? = nil) throws {
        let name = name ?? routerNames[0]
        guard let start = routerStarters[name], let old = routerProcesses.withLock({ $0[name] }) else { throw CtlError("no router instance \(name)") }
        kill(old.pid, SIGKILL)
        old.stop()
        let new = try start()
        routerProcesses.withLock { $0[name] = new }
        _ = try new.port("lines")
    }

    /// Whether every adapters instance's inbox and every router instance's outbox is empty
    /// (and, with `deliveries`, the notifier's queue): what a run waits for before it checks.
    public func isDrained(deliveries: Bool = false) async throws -> Bool {
        for client in adaptersClients where try await client.call("adapters.pending", EmptyBody(), as: [String: Int].self)["pending"] != 0 { return false }
        for (_, client) in routers.all where try await client.call("router.pending", EmptyBody(), as: [String: Int].self)["outbox"] != 0 { return false }
        if deliveries, try await notifierClient.call("notifier.pending", EmptyBody(), as: [String: Int].self, timeout: 60)["pending"] != 0 { return false }
        return true
    }

    /// Every router instance's process, in name order.
    public var routerInstances: [ServiceProcess] {
        routerProcesses.withLock { processes in routerNames.map { processes[$0]! } }
    }

    /// Stops every service (adapters first, directory last) and closes the clients.
    public func stop() {
        ServiceTermination.shared.forget(self)
        for client in adaptersClients + [notifierClient, directoryClient] { client.close() }
        routers.close()
        console?.stop()
        for service in adaptersInstances + routerInstances + [notifier, directory] { service.stop() }
    }
}
