#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// The life of a service process: settings, start, readiness, wait for SIGTERM/SIGINT, stop.
///
/// Exit codes: 0 after a clean stop; 64 for a usage error; 78 (`EX_CONFIG`) for invalid settings;
/// 1 when starting fails (port in use, unreadable or newer-schema database). Readiness
/// (`READY=1`) is sent only after `start` returned, i.e. after the ports accept connections.
public enum ServiceMain {
    /// What `start` hands back: a status line for systemd and how to stop.
    public struct Running: Sendable {
        public var status: String
        public var stop: @Sendable () async -> Void
        /// What the watchdog watches; nil: pings while the process runs.
        public var heartbeat: Heartbeat?

        public init(status: String, heartbeat: Heartbeat? = nil, stop: @escaping @Sendable () async -> Void) {
            self.status = status
            self.heartbeat = heartbeat
            self.stop = stop
        }

        /// A process whose `parts` have started: stopping stops them in reverse, and the
        /// watchdog pings only while their loops and stores make progress.
        public init(status: String, parts: ServiceGroup, heartbeat: Heartbeat? = nil) {
            let heartbeat = heartbeat ?? parts.heartbeat()
            for part in parts.parts { part.reportHealth(from: heartbeat) }
            self.init(status: status, heartbeat: heartbeat, stop: parts.stop)
        }
    }

    /// Runs a service until a termination signal; returns the process exit code.
    public static func run(
        service: String, summary: String, keys: [Settings.Key], secretNames: [String] = [],
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        start: @Sendable (Settings, Secrets, Logger) async throws -> Running
    ) async -> Int32 {
        let allKeys = keys + [Settings.Key("log-level", default: "info", help: "debug, info, warning or error")]
        if arguments.contains("--help") || arguments.contains("-h") {
            print(Settings.usage(service: service, summary: summary, keys: allKeys, secretNames: secretNames))
            return 0
        }
        let signals = TerminationSignals()
        let settings: Settings
        var logger = Logger(service: service)
        do throws(SettingsError) {
            settings = try Settings(arguments: arguments, environment: environment, keys: allKeys, secretNames: secretNames)
            if let levelName = settings.string("log-level") {
                guard let level = Logger.Level(name: levelName) else { throw SettingsError("log-level must be debug, info, warning or error") }
                logger.minimumLevel = level
            }
        } catch {
            logger.error("invalid settings", ["reason": error.description])
            FileHandle.standardError.write(Data("\(service): \(error.description)\n".utf8))
            return 78
        }
        let notifier = SystemdNotifier(environment: environment)
        let running: Running
        do {
            running = try await start(settings, Secrets(environment: environment), logger)
        } catch {
            logger.error("start failed", ["reason": String(describing: error)])
            FileHandle.standardError.write(Data("\(service): cannot start: \(error)\n".utf8))
            return 1
        }
        notifier.ready(status: running.status, heartbeat: running.heartbeat)
        // Without a watchdog the heartbeat still beats, once a second, for the health checks.
        let beating = running.heartbeat.flatMap { heartbeat in
            notifier.watchdogInterval == nil ? Task {
                while !Task.isCancelled {
                    heartbeat.beat()
                    try? await Task.sleep(for: .seconds(1))
                }
            } : nil
        }
        logger.info("ready", ["status": running.status])
        let received = await signals.wait()
        logger.info("stopping", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT"])
        notifier.stopping()
        beating?.cancel()
        await running.stop()
        logger.info("stopped")
        return 0
    }
}
