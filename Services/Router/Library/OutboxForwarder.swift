import Foundation
import Synchronization
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// Hands outbox rows to `notifier.enqueue` in batches, deleting them only once the notifier has
/// committed them; retries with backoff while it is unreachable (DESIGN.md, the hand-off pattern).
///
/// The delete of a delivered batch is not awaited: the next batch (rows past the last one sent)
/// goes out while it commits. Should a delete fail, the next round starts again from the oldest
/// row; the notifier deduplicates by item id. A restart also starts from the oldest row.
final class OutboxForwarder: Sendable {
    private let store: RouterStore
    private let notifier: LineClient
    private let logger: Logger
    private let backoff = Backoff(initial: 0.05, multiplier: 2, maximum: 2)
    private let loop = BackgroundLoop()
    /// Set when a delete failed: the rows it left must be sent again.
    private let rewind = Atomic<Bool>(false)

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
        /// The last row handed to the notifier by this process.
        var sent = 0
        while !wakeup.isStopping {
            if rewind.exchange(false, ordering: .relaxed) { sent = 0 }
            do {
                let rows = try await store.outbox(after: sent, limit: 256)
                guard let last = rows.last else {
                    await wakeup.sleep(seconds: 1)
                    continue
                }
                let body = Array(#"{"items":["#.utf8) + Array(rows.map(\.json).joined(separator: ",").utf8) + Array("]}".utf8)
                _ = try await notifier.send("notifier.enqueue", encodedBody: body)
                sent = last.seq
                store.acknowledge(rows.map(\.seq)) { [self] result in
                    if case .failure(let error) = result {
                        logger.warning("outbox delete failed; its rows will be sent again", ["error": String(describing: error)])
                        rewind.store(true, ordering: .relaxed)
                        wake()
                    }
                }
                failures = 0
            } catch {
                failures += 1
                if failures == 1 { logger.warning("notifier unreachable; outbox waits", ["error": String(describing: error)]) }
                await wakeup.sleep(seconds: backoff.delay(attempt: failures))
            }
        }
    }
}
