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
final class Forwarder: Sendable {
    private let store: AdaptersStore
    private let router: LineClient
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let backoff: Backoff
    private let concurrency: Int

    private struct State {
        var busyContacts: Set<String> = []
        /// Contact → when its head event may be tried again, and how many tries failed in a row.
        var backingOff: [String: (until: Date, failures: Int)] = [:]
    }

    private let state = Mutex(State())
    private let loop = BackgroundLoop()

    init(store: AdaptersStore, router: LineClient, logger: Logger, metrics: MetricsRegistry, backoff: Backoff, concurrency: Int = 64) {
        self.store = store
        self.router = router
        self.logger = logger
        self.metrics = metrics
        self.backoff = backoff
        self.concurrency = concurrency
    }

    func start() {
        loop.start { [self] wakeup in await run(wakeup) }
    }

    func wake() {
        loop.wake()
    }

    func stop() async {
        await loop.stop { [self] in state.withLock { $0.busyContacts.isEmpty } }
    }

    private func run(_ wakeup: Wakeup) async {
        while !wakeup.isStopping {
            var started = 0
            var earliestRetry: Date?
            do {
                let busy = state.withLock { $0.busyContacts.count }
                let free = concurrency - busy
                // Refill in batches (one query per quarter of the slots), reading only as many
                // rows as can start, plus room for the events of contacts already in flight.
                if free > 0, busy == 0 || free >= max(1, concurrency / 4) {
                    let pending = try await store.pending(limit: min(512, free * 2 + busy))
                    var heads = Set<String>()
                    let now = Date()
                    for item in pending where started < free {
                        let contact = item.contact
                        guard heads.insert(contact).inserted else { continue }
                        let claimed = state.withLock { state -> Bool in
                            if let wait = state.backingOff[contact], wait.until > now {
                                earliestRetry = min(earliestRetry ?? wait.until, wait.until)
                                return false
                            }
                            return state.busyContacts.insert(contact).inserted
                        }
                        guard claimed else { continue }
                        started += 1
                        Task { await forward(item) }
                    }
                }
            } catch {
                logger.error("inbox query failed", ["error": String(describing: error)])
            }
            if started == 0 { await wakeup.sleep(seconds: min(1, earliestRetry?.timeIntervalSinceNow ?? 1)) }
        }
    }

    private func forward(_ item: AdaptersStore.Pending) async {
        let contact = item.contact
        let started = DispatchTime.now()
        do {
            _ = try await router.send(item.kind == "reply" ? "router.reply" : "router.route", encodedBody: item.payload)
            try await store.finish(item.seq, status: "done", reason: nil, now: Date())
            metrics.increment("switchboard_forwarded_total", labels: ["outcome": "done"])
            metrics.observe("switchboard_forward_seconds", seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            state.withLock { $0.backingOff[contact] = nil }
        } catch let error as WireError where !error.retryable {
            try? await store.finish(item.seq, status: "rejected", reason: "\(error.code.rawValue): \(error.message)", now: Date())
            metrics.increment("switchboard_forwarded_total", labels: ["outcome": "rejected"])
            logger.info("event rejected by the router", ["seq": item.seq, "code": error.code.rawValue])
            state.withLock { $0.backingOff[contact] = nil }
        } catch {
            try? await store.countAttempt(item.seq, reason: String(describing: error))
            metrics.increment("switchboard_forwarded_total", labels: ["outcome": "retry"])
            state.withLock { state in
                let failures = (state.backingOff[contact]?.failures ?? 0) + 1
                state.backingOff[contact] = (Date().addingTimeInterval(backoff.delay(attempt: failures)), failures)
            }
        }
        state.withLock { _ = $0.busyContacts.remove(contact) }
        wake()
    }
}
