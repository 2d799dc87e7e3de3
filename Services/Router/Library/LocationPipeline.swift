import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardRuntime

/// One location's inbound decisions, made in order and in batches, ahead of their commits.
///
/// Why: a decision reads the location's loads, recency and rotation, which the decision before
/// it changes. Reading them from the file and waiting for each commit before the next decision
/// held a location to one decision per store round trip. The pipeline instead keeps them in
/// memory (a ``LocationSnapshot`` loaded once), decides every queued message in arrival order,
/// queues their commits in that order (group commit makes one transaction of them) and decides
/// the next batch while they commit. Each answer is still sent only after its own commit
/// (`PROTOCOL.md`, "Durability contract"). A contact or message id whose commit is in flight is
/// served from memory, so the next decision sees it; everything else is read from the file in
/// one store job per batch.
///
/// The location's other events (tag, assign, drain …) run ``exclusively(_:)``: after every
/// commit in flight has landed, and the snapshot is reloaded after them. A commit that fails
/// leaves memory ahead of the file; the pipeline then waits for the commits in flight and
/// reloads before it decides again. (Decisions made on the lost state in the meantime are
/// kept: a failed commit means a failing disk, and they are otherwise valid decisions.)
final class LocationPipeline: Sendable {
    private struct Ticket: Sendable {
        var message: InboundMessage
        var config: LocationConfig
        var account: Account
        var promise = Promise<RouteAnswer>()
        var key: String { "\(message.platform):\(message.messageId)" }
    }

    private struct State {
        var queue: [Ticket] = []
        var draining = false
        /// Loads, recency and rotation including every decision made; nil: load from the file.
        var snapshot: LocationSnapshot?
        /// Contacts whose latest decision is not committed yet, with that decision's number.
        var contacts: [String: (state: ContactState, decision: Int)] = [:]
        /// Answers of messages whose commit is in flight, for repeats of them.
        var answers: [String: Promise<RouteAnswer>] = [:]
        var decisions = 0
        var inFlight = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    typealias EngineFactory = @Sendable (LocationConfig, any RoutingWorld) throws -> RoutingEngine

    let location: String
    /// Held while a batch is decided, and by the location's other events.
    private let lock = AsyncLock()
    private let store: RouterStore
    private let directory: DirectoryCache
    private let engine: EngineFactory
    private let metrics: MetricsRegistry
    private let state = Mutex(State())
    /// The most messages decided between two reads of the file.
    private let maximumBatch = 256

    init(location: String, store: RouterStore, directory: DirectoryCache, metrics: MetricsRegistry, engine: @escaping EngineFactory) {
        self.location = location
        self.store = store
        self.directory = directory
        self.metrics = metrics
        self.engine = engine
    }

    /// Decides `message` and returns its answer once the decision is committed; a message
    /// already decided returns the first answer and changes nothing.
    func route(_ message: InboundMessage, config: LocationConfig, account: Account) async throws -> RouteAnswer {
        let ticket = Ticket(message: message, config: config, account: account)
        let startDraining = state.withLock { state -> Bool in
            state.queue.append(ticket)
            defer { state.draining = true }
            return !state.draining
        }
        if startDraining { Task { await drainQueue() } }
        return try await ticket.promise.value()
    }

    /// Runs `body` with the location to itself: no batch being decided, every decision's commit
    /// landed. The snapshot is reloaded afterwards, since `body` may change loads.
    func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await lock.withLock {
            await idle()
            defer { state.withLock { $0.snapshot = nil } }
            return try await body()
        }
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
            await lock.withLock { await decide(batch) }
        }
    }

    private func decide(_ batch: [Ticket]) async {
        var working: LocationSnapshot
        let expansion: CandidateExpansion
        do {
            working = try await currentSnapshot()
            expansion = try await directory.expansion(location: location)
        } catch {
            for ticket in batch { ticket.promise.fulfil(.failure(error)) }
            return
        }
        // What must come from the file: messages and contacts with no commit in flight.
        var repeats: [Int: Promise<RouteAnswer>] = [:]
        var inFlightContacts: [Int: ContactState] = [:]
        var lookups: [MessageLookup] = []
        var lookupOf: [Int: Int] = [:]
        state.withLock { state in
            for (index, ticket) in batch.enumerated() {
                if let first = state.answers[ticket.key] {
                    repeats[index] = first
                    continue
                }
                inFlightContacts[index] = state.contacts[ticket.message.contact]?.state
                lookupOf[index] = lookups.count
                lookups.append(MessageLookup(
                    platform: ticket.message.platform, messageID: ticket.message.messageId,
                    address: inFlightContacts[index] == nil ? ticket.message.contact : nil))
            }
        }
        let found: [(answer: String?, contact: ContactState?)]
        do {
            found = lookups.isEmpty ? [] : try await store.lookUp(lookups, location: location)
        } catch {
            for ticket in batch { ticket.promise.fulfil(.failure(error)) }
            return
        }
        // Within the batch, memory of its own decisions: their commits may land, and leave the
        // state above, before a later message of the batch is decided on what was read.
        var decidedAnswers: [String: Promise<RouteAnswer>] = [:]
        var decidedContacts: [String: ContactState] = [:]
        for (index, ticket) in batch.enumerated() {
            if let first = decidedAnswers[ticket.key] ?? repeats[index] {
                ticket.promise.follow(first)
                continue
            }
            let stored = lookupOf[index].map { found[$0] }
            if let answer = stored?.answer {
                ticket.promise.fulfil(Result { try WireJSON.decode(RouteAnswer.self, from: Array(answer.utf8)) })
                continue
            }
            let contact = decidedContacts[ticket.message.contact] ?? inFlightContacts[index] ?? stored?.contact
            do {
                decidedContacts[ticket.message.contact] = try decide(ticket, contact: contact, snapshot: &working, directory: expansion)
                decidedAnswers[ticket.key] = ticket.promise
            } catch {
                ticket.promise.fulfil(.failure(error))
            }
        }
    }

    /// Decides one message on `snapshot`, records the decision in memory and queues its commit;
    /// returns the contact's new state.
    private func decide(
        _ ticket: Ticket, contact: ContactState?, snapshot: inout LocationSnapshot, directory: CandidateExpansion
    ) throws -> ContactState {
        let message = ticket.message
        let decision = try engine(ticket.config, SnapshotWorld(snapshot: snapshot, directory: directory))
            .inbound(message, account: ticket.account, contact: contact)
        let answer = RouteAnswer(contact: message.contact, owner: decision.contact.owner, reason: decision.reason, user: decision.user)
        let prepared = RouterStore.prepare(RouterStore.Commit(
            location: location, event: "inbound", decision: decision, contact: decision.contact, platform: message.platform,
            messageID: message.messageId, at: message.at, answer: answer.jsonString,
            notifications: RouterService.notifications(
                key: ticket.key, decision: decision, contact: decision.contact, config: ticket.config, account: ticket.account, at: message.at),
            crm: RouterService.crmIf(decision.crmChanged, key: ticket.key, contact: decision.contact, config: ticket.config),
            message: message))
        snapshot.record(decision, replacing: contact, at: message.at)
        let number = state.withLock { [snapshot] state -> Int in
            state.decisions += 1
            state.snapshot = snapshot
            state.contacts[message.contact] = (decision.contact, state.decisions)
            state.answers[ticket.key] = ticket.promise
            state.inFlight += 1
            return state.decisions
        }
        store.enqueue(prepared) { [self] result in
            landed(ticket, decision: number, result: result.map { $0 ? answer : nil }, reason: decision.reason)
        }
        return decision.contact
    }

    /// A decision's commit finished: forget what memory held for it, then answer.
    private func landed(_ ticket: Ticket, decision number: Int, result: Result<RouteAnswer?, any Error>, reason: String) {
        let idle = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.contacts[ticket.message.contact]?.decision == number { state.contacts[ticket.message.contact] = nil }
            if state.answers[ticket.key] === ticket.promise { state.answers[ticket.key] = nil }
            if case .success(.some) = result {} else { state.snapshot = nil }
            state.inFlight -= 1
            guard state.inFlight == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in idle { waiter.resume() }
        switch result {
        case .success(let answer?):
            metrics.increment("switchboard_decisions_total", labels: ["reason": reason])
            ticket.promise.fulfil(.success(answer))
        case .success(nil):
            ticket.promise.fulfil(.failure(WireError.unavailable("\(ticket.key) was decided meanwhile; retry for its answer")))
        case .failure(let error):
            ticket.promise.fulfil(.failure(error))
        }
    }

    /// The snapshot to decide on: memory's, or after a reload (first use, another event, a failed
    /// commit) the file's once every commit in flight has landed.
    private func currentSnapshot() async throws -> LocationSnapshot {
        if let snapshot = state.withLock({ $0.snapshot }) { return snapshot }
        await idle()
        let snapshot = try await store.locationSnapshot(location: location)
        state.withLock { $0.snapshot = snapshot }
        return snapshot
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
