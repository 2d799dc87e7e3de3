public import Foundation
import Synchronization
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
    public let directory: ServiceProcess
    public let notifier: ServiceProcess
    /// The router's process: replaced by ``restartRouter()``.
    public var router: ServiceProcess { routerProcess.withLock { $0 } }
    private let routerProcess: Mutex<ServiceProcess>
    private let startRouter: @Sendable () throws -> ServiceProcess
    public let adapters: ServiceProcess
    public let directoryClient: LineClient
    public let notifierClient: LineClient
    public let routerClient: LineClient
    public let adaptersClient: LineClient
    /// `switchboard-console`, started when ``Secrets/consolePassword`` is set.
    public let console: ServiceProcess?
    public let webhookPort: UInt16
    public let stateFolder: String

    /// Starts the mesh. `fixedPorts` uses the documented defaults (7100–7105) instead of free ports.
    /// `consoleHashIterations`: PBKDF2 iterations of the console password's hash (tests use few).
    /// `crmBaseURL`: the GoHighLevel API the notifier calls (a test's fake), with the
    /// `ghl-token`/`ghl-oauth` the environment gives.
    public init(
        binaries: URL, stateFolder: String, testClock: Bool, fixedPorts: Bool = false, echo: Bool = false, secrets: Secrets = Secrets(),
        consoleHashIterations: Int = PasswordHash.defaultIterations, crmBaseURL: String? = nil
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
        // The notifier reports to the router and the router sends to the notifier: the router's
        // port is chosen first so both can be told it.
        let routerAddress = fixedPorts ? "127.0.0.1:7102" : "127.0.0.1:\(try Socket.unusedLoopbackPort())"
        directory = try start("directory", ["--listen", port(7103), "--database", stateFolder + "/directory.sqlite", "--http", port(7113)])
        let directoryPort = try directory.port("lines")
        notifier = try start("notifier", [
            "--listen", port(7104), "--database", stateFolder + "/notifier.sqlite", "--retry-initial", "0.2", "--router", routerAddress,
            "--directory", "127.0.0.1:\(directoryPort)", "--http", port(7114),
        ] + (crmBaseURL.map { ["--crm-base-url", $0] } ?? []))
        let notifierPort = try notifier.port("lines")
        // The router listens on the address chosen above, so a restarted one is found again.
        let routerArguments = [
            "--listen", routerAddress, "--database", stateFolder + "/router.sqlite", "--http", port(7112),
            "--directory", "127.0.0.1:\(directoryPort)", "--notifier", "127.0.0.1:\(notifierPort)", "--test-clock", testClock ? "true" : "false",
        ]
        startRouter = { try start("router", routerArguments) }
        let router = try startRouter()
        routerProcess = Mutex(router)
        let routerPort = try router.port("lines")
        let goHighLevelKeyFile = stateFolder + "/ghl-webhook-public-key.pem"
        try secrets.goHighLevelKey.publicKeyPEM.write(toFile: goHighLevelKeyFile, atomically: true, encoding: .utf8)
        adapters = try start("adapters", [
            "--ghl-webhook-public-key-file", goHighLevelKeyFile,
            "--listen", port(7101), "--http", port(7100), "--database", stateFolder + "/adapters.sqlite",
            "--router", "127.0.0.1:\(routerPort)", "--public-base-url", "http://127.0.0.1", "--test-clock", testClock ? "true" : "false",
        ])
        let adaptersPort = try adapters.port("lines")
        webhookPort = try adapters.port("http")
        if let password = secrets.consolePassword {
            console = try start("console", [
                "--listen", port(7105), "--database", stateFolder + "/console.sqlite",
                "--router", "127.0.0.1:\(routerPort)", "--directory", "127.0.0.1:\(directoryPort)",
            ], adding: ["SWITCHBOARD_CONSOLE_PASSWORD_HASH": PasswordHash(password: password, iterations: consoleHashIterations).description])
        } else {
            console = nil
        }
        func client(_ port: UInt16) -> LineClient {
            var options = LineClientOptions(host: "127.0.0.1", port: port)
            options.token = secrets.lineToken
            options.clientName = "switchboardctl"
            return LineClient(options: options)
        }
        directoryClient = client(directoryPort)
        notifierClient = client(notifierPort)
        routerClient = client(routerPort)
        adaptersClient = client(adaptersPort)
    }

    /// Kills the router with SIGKILL and starts it again on its file and address: what a crash
    /// and systemd's restart do. Returns once the new process listens.
    public func restartRouter() throws {
        let old = router
        kill(old.pid, SIGKILL)
        old.stop()
        let new = try startRouter()
        routerProcess.withLock { $0 = new }
        _ = try new.port("lines")
    }

    /// Stops every service (adapters first, directory last) and closes the clients.
    public func stop() {
        ServiceTermination.shared.forget(self)
        for client in [adaptersClient, routerClient, notifierClient, directoryClient] { client.close() }
        console?.stop()
        for service in [adapters, router, notifier, directory] { service.stop() }
    }
}
