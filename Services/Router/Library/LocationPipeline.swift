import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRuntime
import SwitchboardStore

/// One location's inbound decisions, made in arrival order, a batch per store job.
///
/// Why: a decision reads the message's processed mark, the contact, and the location's loads,
/// recency and rotation, which the decision before it changes. The pipeline queues messages,
/// and each batch of them becomes one write job on the store's thread: inside it every message
/// is looked up, decided by the (synchronous) engine and written, in order, so each sees every
/// earlier decision, committed or still in the open group transaction, with no store round trip
/// between read and write. Loads, recency and rotation are kept in memory (a
/// ``LocationSnapshot`` loaded inside the first job, then updated by each decision). Answers are
/// sent when the job's transaction has committed (`PROTOCOL.md`, "Durability contract"), just
/// after its outbox rows are handed to the forwarder (`committed`); a transaction that fails
/// drops the memory, and the next job reloads it from the file.
///
/// The directory's copy is fetched (rarely over the network) before a batch is queued, so a
/// directory that cannot be reached fails that batch `unavailable` and commits nothing.
///
/// The location's other events (tag, assign, drain …) run ``exclusively(_:)``: after every
/// queued batch has committed; the memory is reloaded after them.
final class LocationPipeline: Sendable {
    private struct Ticket: Sendable {
        var message: InboundMessage
        /// The configuration version the message was looked up in; `account` is that version's.
        var routing: CompiledRouting
        var account: Account
        /// Called once, on the store's thread after the batch's commit (or wherever it failed).
        var answer: @Sendable (Result<[UInt8], any Error>) -> Void
    }

    private struct State {
        var queue: [Ticket] = []
        var draining = false
        /// Loads, recency and rotation including every decision written; nil: load from the
        /// file. Read and written by batch jobs on the store's thread.
        var snapshot: LocationSnapshot?
        /// Batch jobs queued and not yet committed.
        var inFlight = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Closed for a move: new messages are refused (``close()``).
        var closed = false
    }

    /// One message decided: the answer to send, the reason (nil for a repeat), the outbox rows,
    /// and the reply deadline it set, if any.
    private typealias Decided = (answer: [UInt8], reason: DecisionReason?, outbox: [RouterStore.OutboxRow], due: Date?)

    let location: String
    /// Held while a batch is queued, and by the location's other events.
    private let lock = AsyncLock()
    private let store: RouterStore
    private let directory: DirectoryCache
    /// Gets each batch's outbox rows once committed, in commit order, on the store's thread.
    private let committed: @Sendable ([RouterStore.OutboxRow]) -> Void
    /// Gets the reply deadlines the batch set, once committed (the router's timers).
    private let scheduled: @Sendable (Date) -> Void
    private let metrics: MetricsRegistry
    private let state = Mutex(State())
    /// The most messages decided in one store job.
    private let maximumBatch = 256

    init(
        location: String, store: RouterStore, directory: DirectoryCache, metrics: MetricsRegistry,
        committed: @escaping @Sendable ([RouterStore.OutboxRow]) -> Void, scheduled: @escaping @Sendable (Date) -> Void
    ) {
        self.committed = committed
        self.scheduled = scheduled
        self.location = location
        self.store = store
        self.directory = directory
        self.metrics = metrics
    }

    /// Decides `message` and hands `answer` its `RouteAnswer`, as the JSON stored with the
    /// decision, once the decision is committed (on the store's thread: keep it short); a
    /// message already decided gets the first answer, as stored, and
    /// changes nothing. Returns once the message is queued, not decided.
    func route(
        _ message: InboundMessage, routing: CompiledRouting, account: Account, answer: @escaping @Sendable (Result<[UInt8], any Error>) -> Void
    ) async {
        let ticket = Ticket(message: message, routing: routing, account: account, answer: answer)
        let startDraining = state.withLock { state -> Bool? in
            guard !state.closed else { return nil }
            state.queue.append(ticket)
            defer { state.draining = true }
            return !state.draining
        }
        guard let startDraining else {
            return answer(.failure(WireError.unavailable("\(location) is being moved to another router instance: try again")))
        }
        // The first caller drains, in its own task: queueing a batch costs no wait, so it is
        // done without waking another thread for it (the handler began on the connection's loop).
        if startDraining { await drainQueue() }
    }

    /// Runs `body` with the location to itself: no batch being queued, every queued batch
    /// committed. The memory is reloaded afterwards, since `body` may change loads.
    func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await lock.withLock {
            await idle()
            defer { state.withLock { $0.snapshot = nil } }
            return try await body()
        }
    }

    /// Refuses new messages and returns once every message queued before is decided and
    /// committed: after it, nothing lands in the file for this location until ``reopen()``.
    /// (Checking "held" before queueing is not enough: a message checked just before the hold
    /// could be queued after it; here the check and the queueing share one lock.)
    func close() async {
        state.withLock { $0.closed = true }
        while true {
            _ = try? await exclusively {}
            if state.withLock({ $0.queue.isEmpty && !$0.draining && $0.inFlight == 0 }) { return }
            await Task.yield()
        }
    }

    /// Accepts messages again (a move given up).
    func reopen() {
        state.withLock { $0.closed = false }
    }

    // MARK: Deciding

    private func drainQueue() async {
        while true {
            let batch = state.withLock { state -> [Ticket] in
                let batch = Array(state.queue.prefix(maximumBatch))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            await lock.withLock { await queue(batch) }
        }
    }

    /// Queues `batch` as one store job; returns once it is queued, not committed.
    private func queue(_ batch: [Ticket]) async {
        let expansion: CandidateExpansion
        do {
            expansion = try await directory.expansion(location: location)
        } catch {
            for ticket in batch { ticket.answer(.failure(error)) }
            return
        }
        state.withLock { $0.inFlight += 1 }
        store.store.enqueueWrite({ [self] database in
            try decide(batch, in: database, directory: expansion)
        }, completion: { [self] result in
            landed(batch, result)
        })
    }

    /// Decides and writes each message of `batch` in order, each in its own savepoint (one
    /// failing leaves the others, unless SQLite rolled back the whole transaction: then the
    /// job fails); runs on the store's thread.
    private func decide(_ batch: [Ticket], in database: Database, directory: CandidateExpansion) throws -> [Result<Decided, any Error>] {
        var snapshot = try state.withLock { $0.snapshot } ?? RouterStore.locationSnapshot(database, location: location)
        let results = try batch.map { ticket in
            try database.attempt { () throws -> Decided in
                var message = ticket.message
                if let answer = try RouterStore.processedAnswer(database, platform: message.platform, messageID: message.messageId) {
                    return (Array(answer.utf8), nil, [], nil)
                }
                let contact = try RouterStore.contact(database, location: location, address: message.contact)
                // A new contact's first message without a source of its own takes the one
                // GoHighLevel attributes the contact to (an ad, a campaign), for the rules.
                if contact == nil, message.source == nil {
                    message.source = try RouterStore.attribution(database, location: location, address: message.contact)
                }
                let decision = try RoutingEngine(compiled: ticket.routing, world: SnapshotWorld(snapshot: snapshot, directory: directory))
                    .handle(.inbound(message, account: ticket.account), contact: contact, at: message.at)
                // Encoded once: stored for repeats, and sent as it is.
                let answer = RouteAnswer(contact: message.contact, owner: decision.contact.owner, reason: decision.reason, user: decision.user).jsonBytes
                let commit = RouterStore.Commit(
                    location: location, event: "inbound", decision: decision, previous: contact, at: message.at,
                    effects: DecisionEffects(
                        decision, key: "\(message.platform):\(message.messageId)", config: ticket.routing.config, account: ticket.account, at: message.at),
                    message: message, answer: String(decoding: answer, as: UTF8.self))
                let outbox = try RouterStore.write(commit, to: database)
                snapshot.record(decision, replacing: contact, at: message.at)
                let due = decision.contact.replyDeadline == contact?.replyDeadline ? nil : decision.contact.replyDeadline?.due
                return (answer, decision.reason, outbox, due)
            }
        }
        state.withLock { $0.snapshot = snapshot }
        return results
    }

    /// A batch's transaction finished (on the store's thread): answer each message, or fail them
    /// all and drop the memory the job wrote ahead of the file.
    private func landed(_ batch: [Ticket], _ result: Result<[Result<Decided, any Error>], any Error>) {
        let idle = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if case .failure = result { state.snapshot = nil }
            state.inFlight -= 1
            guard state.inFlight == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in idle { waiter.resume() }
        switch result {
        case .success(let outcomes):
            committed(outcomes.flatMap { (try? $0.get().outbox) ?? [] })
            if let due = outcomes.compactMap({ try? $0.get().due }).min() { scheduled(due) }
            for (ticket, outcome) in zip(batch, outcomes) {
                if case .success((_, let reason?, _, _)) = outcome { metrics.increment("switchboard_decisions_total", labels: ["reason": reason.rawValue]) }
                ticket.answer(outcome.map(\.answer))
            }
        case .failure(let error):
            for ticket in batch { ticket.answer(.failure(error)) }
        }
    }

    private func idle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard state.inFlight > 0 else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
