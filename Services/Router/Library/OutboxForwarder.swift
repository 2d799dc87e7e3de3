import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardPOSIX
import SwitchboardRuntime

/// Hands outbox rows to `notifier.enqueue`, deleting them only once the notifier has committed
/// them; retries with backoff while it is unreachable (DESIGN.md, the hand-off pattern).
///
/// Rows reach the notifier two ways, as a ``HandOffFeed`` says: a decision's rows from the store's
/// thread the moment its transaction commits (``offer(_:)``), when they follow the last row
/// handed over without a gap (at 1,000 msgs/s the loop's way was the slowest part of a message's
/// way from the router's commit to the notifier, `docs/performance.md`); everything else (a
/// restart, a failure, rows written by other events, a gap) by the loop, which reads the outbox
/// after the last row handed over, oldest first, until it has caught up. A row may reach the
/// notifier twice (a retry after a failed delete); the notifier deduplicates by item id. A row
/// is never skipped.
///
/// The delete of a delivered batch is not awaited: it rides on the store's next commit
/// (``Store/deferWrite(within:_:completion:)``), so delivering costs no transaction of its own. Should a
/// direct send fail, the loop starts again from the oldest row. A restart also starts from the
/// oldest row (rows whose delete was lost go again; the notifier deduplicates by item id).
final class OutboxForwarder: Sendable {
    private struct Handover {
        /// Which rows have been handed over, and whether offers go direct.
        var feed = HandOffFeed()
        /// Rows offered direct and not yet sent: a group commit's offers leave together.
        var pending: [RouterStore.OutboxRow] = []
        /// Rows delivered whose delete has not committed yet: a read of the outbox meanwhile
        /// (after a start-over) skips them rather than send them again.
        var deleting: Set<Int> = []
    }

    /// The most rows in one `notifier.enqueue`.
    static let batchSize = 256
    private let store: RouterStore
    private let notifier: LineClient
    private let logger: Logger
    private let backoff = Backoff(initial: 0.05, multiplier: 2, maximum: 2)
    private let loop = BackgroundLoop()
    private let handover = Mutex(Handover())

    init(store: RouterStore, notifier: LineClient, logger: Logger) {
        self.store = store
        self.notifier = notifier
        self.logger = logger
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    /// Whether rows that follow the last one handed over go straight from the store's thread
    /// (for tests: the loop has caught up).
    var sendsDirect: Bool { handover.withLock { $0.feed.takesOffers } }

    /// Outbox rows may have been written: the loop looks.
    func wake() {
        loop.wake()
    }

    func stop() async {
        await loop.stop()
    }

    /// Rows a transaction has just committed, in sequence order; called on the store's thread in
    /// commit order. Sent if they follow the last row handed over (when the store's delivery of
    /// the group ends, in one `notifier.enqueue` with the rest of the group's: ``FlushScope``);
    /// otherwise the loop is woken to read them.
    func offer(_ rows: [RouterStore.OutboxRow]) {
        guard let first = rows.first, let last = rows.last else { return }
        let direct = handover.withLock { handover -> Bool in
            guard handover.feed.offer(first: first.seq, last: last.seq, count: rows.count) else { return false }
            handover.pending += rows
            return true
        }
        guard direct else { return wake() }
        if !FlushScope.enlist(ObjectIdentifier(self), { [self] in sendPending() }) { sendPending() }
    }

    /// Sends the rows offered direct, a batch at a time.
    private func sendPending() {
        let rows = handover.withLock { handover -> [RouterStore.OutboxRow] in
            defer { handover.pending = [] }
            return handover.pending
        }
        for start in stride(from: 0, to: rows.count, by: Self.batchSize) {
            let batch = Array(rows[start..<min(rows.count, start + Self.batchSize)])
            notifier.send("notifier.enqueue", encodedBody: Self.body(batch)) { [self] answer in
                switch answer {
                case .success: acknowledge(batch)
                case .failure(let error): startOver(because: "notifier.enqueue failed", error)
                }
            }
        }
    }

    private func run(_ wakeup: Wakeup) async {
        var failures = 0
        while !wakeup.isStopping {
            let read = handover.withLock { $0.feed.nextRead }
            do {
                let rows = try await store.outbox(after: read.after, limit: Self.batchSize)
                let undelivered = handover.withLock { handover in rows.filter { !handover.deleting.contains($0.seq) } }
                if !undelivered.isEmpty {
                    _ = try await notifier.send("notifier.enqueue", encodedBody: Self.body(undelivered))
                    acknowledge(undelivered)
                }
                failures = 0
                // Caught up: what commits next is offered, or wakes the loop.
                let caughtUp = handover.withLock {
                    $0.feed.finish(read, returned: rows.count, upTo: rows.last?.seq, limit: Self.batchSize)
                }
                if caughtUp { await wakeup.sleep(seconds: 1) }
            } catch {
                failures += 1
                if failures == 1 { logger.warning("notifier unreachable; outbox waits", ["error": String(describing: error)]) }
                await wakeup.sleep(seconds: backoff.delay(attempt: failures))
            }
        }
    }

    /// Deletes delivered rows, with the store's next commit (a delete lost in a crash sends
    /// the rows again after the restart, and the notifier takes each once). Until it commits,
    /// the rows are skipped by the loop's reads; a delete that fails sends them again.
    private func acknowledge(_ rows: [RouterStore.OutboxRow]) {
        let seqs = rows.map(\.seq)
        handover.withLock { $0.deleting.formUnion(seqs) }
        store.acknowledge(seqs) { [self] result in
            handover.withLock { $0.deleting.subtract(seqs) }
            if case .failure(let error) = result { startOver(because: "outbox delete failed; its rows will be sent again", error) }
        }
    }

    /// Sends everything from the oldest row again, by the loop's way.
    private func startOver(because reason: String, _ error: any Error) {
        logger.warning(reason, ["error": String(describing: error)])
        handover.withLock { handover in
            handover.feed.startOver()
            handover.pending = []
        }
        wake()
    }

    /// `{"items": [...]}` with each row's item as stored.
    private static func body(_ rows: [RouterStore.OutboxRow]) -> [UInt8] {
        var writer = JSONWriter(capacity: rows.reduce(16) { $0 + $1.json.utf8.count + 1 })
        writer.beginObject()
        writer.key("items")
        writer.beginArray()
        for row in rows { writer.encoded(row.json) }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
