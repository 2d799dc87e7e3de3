import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// Hands inbox events to the router until it answers (DESIGN.md, the hand-off pattern).
///
/// Events of one contact go in arrival order, one at a time; different contacts go concurrently.
/// A retryable failure (router unreachable, `unavailable`, `overloaded`, `internal`, timeout)
/// backs that contact off and tries the same event again; a non-retryable answer marks the
/// event `rejected` with its reason, visible in `adapters.inbox`.
///
/// Pending events are held in memory, per contact, up to ``memoryLimit``. They come from two
/// places that never miss or double one, as a ``HandOffFeed`` says: while the inbox may hold
/// events memory has not seen (at start, after a burst past the limit, a gap) they are read from
/// the file in sequence order; otherwise each intake commit hands its new events over. Both
/// happen on the store's thread in commit order (``AdaptersStore/store(_:receivedAt:committed:)``).
/// The file is read once per event rather than once per forwarding round. Forwards start where
/// their events become free to go (an intake commit's delivery, the router's answer to a
/// contact's previous event); the loop is for reading the file and for back-offs.
final class Forwarder: Sendable {
    private struct State {
        /// Events per contact, oldest first; the head is the one in flight or next.
        var queues: [String: [AdaptersStore.Pending]] = [:]
        /// Contacts with events and none in flight, roughly in order of their oldest event.
        var waiting: [String] = []
        var busyContacts: Set<String> = []
        /// Contact → when its head event may be tried again, and how many tries failed in a row.
        var backingOff: [String: (until: Date, failures: Int)] = [:]
        var held = 0
        /// Which events memory has taken, and whether intake commits hand theirs over (otherwise
        /// the inbox may hold events memory has not seen, and they are read from the file).
        var feed = HandOffFeed()

        mutating func take(_ rows: [AdaptersStore.Pending]) {
            for row in rows {
                if queues[row.contact] == nil, !busyContacts.contains(row.contact) { waiting.append(row.contact) }
                queues[row.contact, default: []].append(row)
            }
            held += rows.count
        }
    }

    /// The most events held in memory; beyond it, events wait in the file.
    let memoryLimit: Int
    private let store: AdaptersStore
    private let routers: RouterPartitions
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let backoff: Backoff
    private let concurrency: Int
    private let state = Mutex(State())
    private let loop = BackgroundLoop()
    /// Forwards awaiting the router's answer and its record; stopping waits for them.
    private let forwards = InFlight()

    init(
        store: AdaptersStore, routers: RouterPartitions, logger: Logger, metrics: MetricsRegistry, backoff: Backoff, concurrency: Int = 64, memoryLimit: Int = 4096
    ) {
        self.store = store
        self.routers = routers
        self.logger = logger
        self.metrics = metrics
        self.backoff = backoff
        self.concurrency = concurrency
        self.memoryLimit = memoryLimit
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    func stop() async {
        await loop.stop(draining: forwards)
    }

    /// New events just committed (called on the store's thread, in commit order).
    func committed(_ rows: [AdaptersStore.Pending]) {
        guard let first = rows.first, let last = rows.last else { return }
        state.withLock { state in
            guard state.feed.offer(first: first.seq, last: last.seq, count: rows.count, room: state.held + rows.count <= memoryLimit) else { return }
            state.take(rows)
        }
        startForwardsHere()
    }

    /// Starts what can start now, on the calling thread, and wakes the loop only for what only
    /// it does: reading the inbox file, and retrying a backed-off contact when its time comes.
    /// Started on the store's thread, an intake group's forwards leave with its answers (one
    /// write per connection when the group's delivery ends, ``FlushScope``) and no task is woken
    /// for them: at 1,000 webhooks/s that wake-up was a hop on every message's way to the router.
    private func startForwardsHere() {
        let (_, earliestRetry) = startForwards()
        if earliestRetry != nil || !state.withLock({ $0.feed.takesOffers }) { loop.wake() }
    }

    private func run(_ wakeup: Wakeup) async {
        while !wakeup.isStopping {
            do {
                try await readFileIfNeeded()
            } catch {
                logger.error("inbox query failed", ["error": String(describing: error)])
            }
            let (started, earliestRetry) = startForwards()
            if started == 0 { await wakeup.sleep(seconds: min(1, earliestRetry?.timeIntervalSinceNow ?? 1)) }
        }
    }

    /// Tops memory up from the file while it may hold events memory has not taken.
    private func readFileIfNeeded() async throws {
        let room = state.withLock { $0.feed.takesOffers ? 0 : memoryLimit - $0.held }
        guard room >= memoryLimit / 4 else { return }
        // Both closures run on the store's thread, in one job: no intake commit comes between.
        try await store.readPending(limit: room, after: { [self] in state.withLock { $0.feed.nextRead.after } }) { [self] rows in
            state.withLock { state in
                let read = state.feed.nextRead
                state.take(rows)
                // A short read reached the end of the inbox: from now on intake hands events over.
                state.feed.finish(read, returned: rows.count, upTo: rows.last?.seq, limit: room)
            }
        }
    }

    /// Starts the head event of waiting contacts, up to the concurrency; returns how many
    /// started and the earliest moment a backed-off contact may go again.
    private func startForwards() -> (Int, Date?) {
        let now = Date()
        var earliestRetry: Date?
        let starting = state.withLock { state -> [AdaptersStore.Pending] in
            var starting: [AdaptersStore.Pending] = []
            var backingOff: [String] = []
            var looked = 0
            for contact in state.waiting {
                if state.busyContacts.count >= concurrency { break }
                looked += 1
                if let wait = state.backingOff[contact], wait.until > now {
                    earliestRetry = min(earliestRetry ?? wait.until, wait.until)
                    backingOff.append(contact)
                    continue
                }
                guard let head = state.queues[contact]?.first else { continue }
                guard forwards.enter() else {
                    // Stopping: the event stays in the inbox for the next start.
                    looked -= 1
                    break
                }
                state.busyContacts.insert(contact)
                starting.append(head)
            }
            state.waiting.replaceSubrange(0..<looked, with: backingOff)
            return starting
        }
        for item in starting { forward(item) }
        return (starting.count, earliestRetry)
    }

    /// Sends `item` and records the answer. Callbacks all the way (the router's answer on the
    /// client's loop, the record's commit on the store's thread): an event costs no thread hop of
    /// its own between them.
    private func forward(_ item: AdaptersStore.Pending) {
        let started = DispatchTime.now()
        guard case .send(let router) = routers.route(item.partitionKey) else {
            // Its account's location is being looked up: the contact backs off and tries again.
            return settle(item, finished: false)
        }
        router.send(InboxEvent.operation(kind: item.kind), encodedBody: item.payload) { [self] answer in
            switch answer {
            case .success:
                // The contact's next event may go at once: the done mark rides on a later commit.
                store.markDone(item.seq, now: Date())
                metrics.increment("switchboard_forwarded_total", labels: ["outcome": "done"])
                metrics.observe("switchboard_forward_seconds", seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
                settle(item, finished: true)
            case .failure(let error as WireError) where !error.retryable:
                store.finish(item.seq, status: .rejected, reason: "\(error.code.rawValue): \(error.message)", now: Date()) { [self] recorded in
                    metrics.increment("switchboard_forwarded_total", labels: ["outcome": "rejected"])
                    logger.info("event rejected by the router", ["seq": item.seq, "code": error.code.rawValue])
                    // Not recorded: it goes again, and the router answers the same.
                    if case .failure = recorded { return settle(item, finished: false) }
                    settle(item, finished: true)
                }
            case .failure(let error):
                retryLater(item, reason: String(describing: error))
            }
        }
    }

    /// Counts the failed attempt, then backs the contact off.
    private func retryLater(_ item: AdaptersStore.Pending, reason: String) {
        metrics.increment("switchboard_forwarded_total", labels: ["outcome": "retry"])
        store.countAttempt(item.seq, reason: reason) { [self] _ in settle(item, finished: false) }
    }

    /// The contact's head event is done (its next goes) or backs off; either way what can go now
    /// goes.
    private func settle(_ item: AdaptersStore.Pending, finished: Bool) {
        let contact = item.contact
        state.withLock { state in
            if finished {
                state.backingOff[contact] = nil
                state.queues[contact]?.removeFirst()
                state.held -= 1
                if state.queues[contact]?.isEmpty == true { state.queues[contact] = nil }
            } else {
                let failures = (state.backingOff[contact]?.failures ?? 0) + 1
                state.backingOff[contact] = (Date().addingTimeInterval(backoff.delay(attempt: failures)), failures)
            }
            state.busyContacts.remove(contact)
            if state.queues[contact] != nil { state.waiting.append(contact) }
        }
        forwards.leave()
        startForwardsHere()
    }
}
