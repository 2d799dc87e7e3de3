import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// The router's time-driven routing (docs/routing.md, "Routing over time"): what its
/// ``RouterTimers`` fire and the queue passes they run, each with the location to itself.
extension RouterService {

    /// Fires every reply deadline due by `now`, at `now`, each with its location to itself.
    func fireDue(_ now: Date) async -> (fired: Int, failed: Bool) {
        let due: [(location: String, address: String)]
        do {
            due = try await store.dueContacts(upTo: now)
        } catch {
            logger.error("reply deadlines not read", ["error": "\(error)"])
            return (0, true)
        }
        var fired = 0
        var failed = false
        for (location, address) in due {
            do {
                _ = try await handle(.replyOverdue, location: location, address: address, at: now) { found, _ in
                    (found?.replyDeadline?.due).map { $0 <= now } == true ? nil : "no reply is due"
                }
                fired += 1
            } catch is NotDecided {
                continue
            } catch {
                logger.error("reply deadline not handled", ["location": location, "contact": address, "error": "\(error)"])
                failed = true
            }
        }
        return (fired, failed)
    }

    /// Offers the queued contacts of every location that has some, at `time`.
    func offerQueued(at time: Date) async -> Int {
        let locations: [String]
        do {
            locations = try await store.locationsWithQueues()
        } catch {
            logger.error("queues not read", ["error": "\(error)"])
            return 0
        }
        var assigned = 0
        // Only locations that hand queues out take their turn (``queueRouting(_:)``).
        for location in locations where queueRouting(location) != nil {
            do {
                assigned += try await pipeline(location).exclusively { try await offerQueuedHoldingLocation(location, at: time) }
            } catch {
                logger.error("queue not offered", ["location": location, "error": "\(error)"])
            }
        }
        return assigned
    }

    /// One queue pass over `location` at `time` (``TimedRouting/queuePass(_:offer:)``), each
    /// contact placed seeing the loads the ones before it left, all committed in one
    /// transaction. The caller holds the location (``LocationPipeline/exclusively(_:)``).
    func offerQueuedHoldingLocation(_ location: String, at time: Date) async throws -> Int {
        guard let routing = queueRouting(location) else { return 0 }
        let queued = try await store.queuedContacts(location: location)
        guard !queued.isEmpty else { return 0 }
        var snapshot = try await store.locationSnapshot(location: location)
        let expansion = try await directory.expansion(location: location)
        var commits: [RouterStore.Commit] = []
        try TimedRouting.queuePass(queued) { contact in
            let engine = RoutingEngine(compiled: routing, world: SnapshotWorld(snapshot: snapshot, directory: expansion))
            guard let decision = try engine.dequeue(contact, at: time) else { return false }
            snapshot.record(decision, replacing: contact, at: time)
            commits.append(commit(decision, of: .dequeued, previous: contact, config: routing.config, at: time))
            return true
        }
        guard !commits.isEmpty else { return 0 }
        try await store.commit(commits, location: location, logging: nil)
        committed(commits.map(\.decision))
        return commits.count
    }
}

extension RouterService {
    /// The routing of `location` when this instance routes it and one of its teams hands its
    /// queue out; nil when a queue pass has nothing to do there.
    func queueRouting(_ location: String) -> CompiledRouting? {
        guard routes(location), let routing = configurations.entry(location: location)?.routing, routing.config.assignsAnyQueue else { return nil }
        return routing
    }
}

struct AdvanceClockRequest: Decodable, Sendable {
    var to: Date
    enum CodingKeys: String, CodingKey { case to }
}

extension RouterService.Timing {
    var sweepEvery: Double {
        switch self {
        case .live(let seconds): seconds
        case .manual: .infinity
        }
    }
}
