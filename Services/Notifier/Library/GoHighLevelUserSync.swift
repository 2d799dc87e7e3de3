import Foundation
import SwitchboardCodec
import SwitchboardNet
import SwitchboardRuntime

/// Keeps the directory's users as GoHighLevel lists them: every `interval`, for each location
/// the directory knows and the notifier has a GoHighLevel credential for, reads
/// `GET /users/?locationId=` and hands the answer to `directory.import_ghl_users`, which keeps
/// what Switchboard owns and marks users removed there inactive. The notifier drives it because
/// it holds the location tokens (and their refresh); `switchboardctl directory sync` does one
/// round on demand.
final class GoHighLevelUserSync: Sendable {
    private let api: GoHighLevelAPI
    private let tokens: GoHighLevelTokens
    private let directory: LineClient
    private let interval: Double
    private let logger: Logger
    private let loop = BackgroundLoop()

    init(api: GoHighLevelAPI, tokens: GoHighLevelTokens, directory: LineClient, interval: Double, logger: Logger) {
        self.api = api
        self.tokens = tokens
        self.directory = directory
        self.interval = interval
        self.logger = logger
    }

    func start() {
        guard interval > 0 else { return }
        loop.start { [self] wakeup in
            while !wakeup.isStopping {
                await syncAll()
                await wakeup.sleep(seconds: interval)
            }
        }
    }

    func stop() async {
        await loop.stop()
    }

    private func syncAll() async {
        struct Locations: Decodable { var locations: [String] }
        guard let locations = try? await directory.call("directory.locations", EmptyBody(), as: Locations.self).locations else {
            logger.info("GoHighLevel user sync waits for the directory")
            return
        }
        for location in locations where tokens.isConfigured(location) {
            do {
                let users = try await api.users(location: location)
                let answer = try await directory.call(
                    "directory.import_ghl_users", JSONValue.object(["location": .string(location), "response": users]), as: JSONValue.self)
                logger.info("GoHighLevel users synced", ["location": location, "changed": answer["changed"]?.doubleValue ?? 0])
            } catch {
                logger.warning("GoHighLevel user sync failed", ["location": location, "reason": String(describing: error)])
            }
        }
    }
}
