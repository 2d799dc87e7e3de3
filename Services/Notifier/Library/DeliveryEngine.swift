import Foundation
import Synchronization
import SwitchboardDomain
public import SwitchboardNet
import SwitchboardRuntime

/// When to give up on a delivery, and how to space its retries.
public struct RetryPolicy: Sendable {
    public var maximumAttempts = 8
    /// Seconds after intake past which a failing delivery is dead-lettered.
    public var maximumAge: Double = 24 * 3600
    public var backoff = Backoff(initial: 1, multiplier: 2, maximum: 300)

    public init() {}
}

/// The delivery loop: picks due deliveries, attempts them concurrently (at most
/// ``concurrency`` at once, one at a time per CRM contact), records each outcome.
///
/// Crash safety: an outcome is recorded only after the attempt, so a process killed mid-attempt
/// attempts again after restart: deliveries are at least once, and receivers deduplicate by
/// `X-Switchboard-Delivery-Id`.
final class DeliveryEngine: Sendable {
    private let store: NotifierStore
    private let channels: ChannelDeliverer
    private let crm: CRMSync
    private let policy: RetryPolicy
    private let concurrency: Int
    private let logger: Logger
    private let metrics: MetricsRegistry
    /// The time of day due times and retries are read from (``ManualWallClock`` under `--test-clock`).
    private let clock: any WallClock

    private struct State {
        var busy: Set<String> = []
        var busyContacts: Set<String> = []
        /// The last look filled every free slot (or found none free): more may be due, so each
        /// finished attempt wakes the loop to refill its slot, and new deliveries wait their turn.
        /// True until the first look: deliveries left from before a restart go first.
        var backlog = true
        /// A look is under way: deliveries settled meanwhile may still be in what it finds.
        var looking = false
        /// Deliveries whose outcome was recorded while the loop looked: never claimed by that look.
        var settledWhileLooking: Set<String> = []
    }

    private let state = Mutex(State())
    private let loop = BackgroundLoop()
    /// Attempts under way; stopping waits for their outcomes to be recorded.
    private let attempts = InFlight()

    init(
        store: NotifierStore, channels: ChannelDeliverer, crm: CRMSync, policy: RetryPolicy, concurrency: Int, logger: Logger, metrics: MetricsRegistry,
        clock: any WallClock
    ) {
        self.clock = clock
        self.store = store
        self.channels = channels
        self.crm = crm
        self.policy = policy
        self.concurrency = concurrency
        self.logger = logger
        self.metrics = metrics
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    /// New work arrived: look now rather than at the next timer.
    func wake() {
        loop.wake()
    }

    /// Deliveries an enqueue has just committed, due now; called on the store's thread. Started
    /// here when there is room for all of them and nothing is waiting ahead of them (the last
    /// look left no backlog), like the router's outbox rows and the adapters' inbox events
    /// (``HandOffFeed``): no task woken, no query. Otherwise, or when the enqueue also brought
    /// work that only the loop starts (`withOthers`: CRM updates, ordered per contact), the loop
    /// looks. A delivery is never started twice at once: a look that began before one settled
    /// does not claim it.
    ///
    /// A delivery to a local channel (a file line) is made right here, on the store's thread,
    /// and its outcome rides on the next commit: a task of Swift's pool woken for it, and a
    /// transaction of its own for its outcome, cost more than the line itself.
    func offer(_ fresh: [NotifierStore.DueDelivery], withOthers: Bool) {
        let direct = state.withLock { state -> Bool in
            // Stopping refuses them: they stay pending for the next start.
            guard !state.backlog, !state.looking, state.busy.count + fresh.count <= concurrency, attempts.enter(fresh.count) else { return false }
            for delivery in fresh { state.busy.insert(delivery.id) }
            return true
        }
        if direct {
            metrics.increment("switchboard_deliveries_started_total", labels: ["by": "commit"], by: fresh.count)
            for delivery in fresh {
                let started = DispatchTime.now()
                if let notification = delivery.item.notification, let result = channels.deliverLocally(delivery, notification) {
                    settle(delivery, result, started: started, withNextCommit: true)
                } else {
                    Task { await attempt(delivery) }
                }
            }
        }
        if !direct || withOthers { wake() }
    }

    /// Stops picking new work and waits (up to `deadline` seconds) for attempts under way, so
    /// their outcomes are recorded before the database closes.
    func stop() async {
        await loop.stop(draining: attempts)
    }

    /// Each round looks once, then sleeps until woken: by new items (``wake()``), by a finished
    /// attempt while there is a backlog or when it may free more work (a retry's new due time, a
    /// CRM contact's next update), or at the next due time. At low rates that is one query per
    /// delivery; looking again after every start and every finish cost two or three more store
    /// round trips a message.
    private func run(_ wakeup: Wakeup) async {
        while !wakeup.isStopping {
            let (busy, busyContacts, free) = state.withLock { ($0.busy, $0.busyContacts, concurrency - $0.busy.count) }
            var started = 0
            var backlog = true
            // Refill in batches: one query per quarter of the slots, not one per finished attempt.
            if free > 0, busy.isEmpty || free >= max(1, concurrency / 4) {
                state.withLock { $0.looking = true }
                do {
                    let due = try await store.due(now: clock.now, limit: free, excluding: busy, busyContacts: busyContacts)
                    backlog = due.count == free
                    for delivery in due where claim(delivery) {
                        started += 1
                        Task { await attempt(delivery) }
                    }
                    if started > 0 { metrics.increment("switchboard_deliveries_started_total", labels: ["by": "loop"], by: started) }
                } catch {
                    logger.error("delivery query failed", ["error": String(describing: error)])
                    backlog = false
                }
                state.withLock { state in
                    state.looking = false
                    state.settledWhileLooking = []
                }
            }
            state.withLock { $0.backlog = backlog }
            await sleep(wakeup, idle: busy.isEmpty && started == 0)
        }
    }

    private func claim(_ delivery: NotifierStore.DueDelivery) -> Bool {
        state.withLock { state in
            guard !state.busy.contains(delivery.id), !state.settledWhileLooking.contains(delivery.id),
                  delivery.contactKey.map({ !state.busyContacts.contains($0) }) ?? true, attempts.enter() else { return false }
            if let key = delivery.contactKey { state.busyContacts.insert(key) }
            state.busy.insert(delivery.id)
            return true
        }
    }

    /// Waits until woken or until the next delivery comes due (at most one second). While
    /// attempts are under way their completions wake the loop, so the due time is not looked up.
    private func sleep(_ wakeup: Wakeup, idle: Bool) async {
        let next = idle ? ((try? await store.nextDue()) ?? nil) : nil
        await wakeup.sleep(seconds: min(1, next.map { $0.timeIntervalSince(clock.now) } ?? 1))
    }

    private func attempt(_ delivery: NotifierStore.DueDelivery) async {
        let now = clock.now
        let started = DispatchTime.now()
        let result: AttemptResult
        if let notification = delivery.item.notification {
            result = await channels.deliver(delivery, notification, now: now)
        } else if let update = delivery.item.crm {
            result = await crm.apply(update, now: now)
        } else {
            result = .permanent(status: nil, error: "empty item")
        }
        settle(delivery, result, started: started)
    }

    /// Records an attempt's outcome; the delivery is settled on the store's thread once that is
    /// committed, with no hop back to the caller. `withNextCommit`: see ``NotifierStore/record(_:_:now:withNextCommit:completion:)``.
    private func settle(_ delivery: NotifierStore.DueDelivery, _ result: AttemptResult, started: DispatchTime, withNextCommit: Bool = false) {
        let outcome = decide(result, delivery, now: clock.now)
        store.record(delivery.id, outcome, now: clock.now, withNextCommit: withNextCommit) { [self] recorded in
            var unrecorded = false
            if case .failure(let error) = recorded {
                unrecorded = true
                logger.error("cannot record delivery outcome", ["delivery": delivery.id, "error": String(describing: error)])
            }
            count(outcome, channel: delivery.channel, seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            let backlog = state.withLock { state -> Bool in
                state.busy.remove(delivery.id)
                if state.looking { state.settledWhileLooking.insert(delivery.id) }
                if let key = delivery.contactKey { state.busyContacts.remove(key) }
                return state.backlog
            }
            // The loop looks again only if this may let more start: a slot freed while the last
            // look filled them all, a delivery still due (its outcome not recorded), a CRM
            // contact's next update, a retry's new due time.
            attempts.leave()
            if backlog || unrecorded || delivery.contactKey != nil || outcome.isRetry { wake() }
        }
    }

    /// Applies the retry policy to one attempt's result.
    func decide(_ result: AttemptResult, _ delivery: NotifierStore.DueDelivery, now: Date) -> NotifierStore.Outcome {
        switch result {
        case .success(let status, let note):
            return .delivered(status: status, note: note)
        case .skip(let reason):
            return .skipped(reason)
        case .throttled(let until):
            return .retry(at: until, status: 429, error: "rate limited", countsAsAttempt: false)
        case .permanent(let status, let error):
            return .dead(status: status, error: error)
        case .transient(let status, let error, let retryAfter):
            let attempts = delivery.attempts + 1
            if attempts >= policy.maximumAttempts || now.timeIntervalSince(delivery.createdAt) >= policy.maximumAge {
                return .dead(status: status, error: "gave up after \(attempts) attempts: \(error)")
            }
            let at = retryAfter ?? now.addingTimeInterval(policy.backoff.delay(attempt: attempts))
            return .retry(at: at, status: status, error: error, countsAsAttempt: true)
        }
    }

    private func count(_ outcome: NotifierStore.Outcome, channel: String, seconds: Double) {
        let name: String
        switch outcome {
        case .delivered: name = "delivered"
        case .retry: name = "retried"
        case .dead(_, let error):
            name = "dead"
            logger.warning("delivery dead-lettered", ["channel": channel, "reason": error])
        case .skipped: name = "skipped"
        }
        metrics.increment("switchboard_deliveries_total", labels: ["channel": channel, "outcome": name])
        metrics.observe("switchboard_delivery_seconds", labels: ["channel": channel], seconds: seconds)
    }
}
