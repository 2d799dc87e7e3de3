import Foundation
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// Hands outbox rows to `notifier.enqueue` in batches, deleting them only once the notifier has
/// committed them; retries with backoff while it is unreachable (DESIGN.md, the hand-off pattern).
final class OutboxForwarder: Sendable {
    private let store: RouterStore
    private let notifier: LineClient
    private let logger: Logger
    private let backoff = Backoff(initial: 0.05, multiplier: 2, maximum: 2)
    private let loop = BackgroundLoop()

    init(store: RouterStore, notifier: LineClient, logger: Logger) {
        self.store = store
        self.notifier = notifier
        self.logger = logger
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    func wake() {
        loop.wake()
    }

    func stop() async {
        await loop.stop()
    }

    private func run(_ wakeup: Wakeup) async {
        var failures = 0
        while !wakeup.isStopping {
            do {
                let rows = try await store.outbox(limit: 256)
                if rows.isEmpty {
                    await wakeup.sleep(seconds: 1)
                    continue
                }
                let body = Array(#"{"items":["#.utf8) + Array(rows.map(\.json).joined(separator: ",").utf8) + Array("]}".utf8)
                _ = try await notifier.send("notifier.enqueue", encodedBody: body)
                try await store.acknowledge(rows.map(\.id))
                failures = 0
            } catch {
                failures += 1
                if failures == 1 { logger.warning("notifier unreachable; outbox waits", ["error": String(describing: error)]) }
                await wakeup.sleep(seconds: backoff.delay(attempt: failures))
            }
        }
    }
}
