import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// The router's version-checked copy of each location's directory: candidates are expanded
/// locally (``CandidateExpansion``, the directory's own rule) instead of one `directory.resolve`
/// round trip per target.
///
/// Freshness: the cache subscribes to `directory.watch`; the directory pushes
/// `directory.changed {version}` before it answers the change that caused it, so a decision made
/// after a directory change sees it. A copy is also refetched once it is `maximumAge` old, which
/// bounds staleness should an event be missed across a reconnect.
final class DirectoryCache: Sendable {
    private struct Entry {
        var expansion: CandidateExpansion
        var version: Int
        var fetched: Date
    }

    private let directory: LineClient
    private let maximumAge: Double
    private struct State {
        var entries: [String: Entry] = [:]
        var latestVersion = 0
        var subscribed = false
    }

    private let state = Mutex(State())

    init(directory: LineClient, maximumAge: Double = 5) {
        self.directory = directory
        self.maximumAge = maximumAge
    }

    func candidates(location: String, target: Target, at: Date) async throws -> [Candidate] {
        try await subscribeOnce()
        let now = Date()
        let cached = state.withLock { state -> CandidateExpansion? in
            guard let entry = state.entries[location], entry.version >= state.latestVersion, now.timeIntervalSince(entry.fetched) < maximumAge else { return nil }
            return entry.expansion
        }
        let expansion: CandidateExpansion
        if let cached {
            expansion = cached
        } else {
            let snapshot: DirectorySnapshot
            do {
                snapshot = try await directory.call("directory.snapshot", ["location": location], as: DirectorySnapshot.self)
            } catch let error as WireError where error.retryable {
                throw WireError.unavailable("directory: \(error.message)")
            }
            expansion = try snapshot.expansion()
            state.withLock { state in
                state.entries[location] = Entry(expansion: expansion, version: snapshot.version, fetched: now)
                state.latestVersion = max(state.latestVersion, snapshot.version)
            }
        }
        switch Result(catching: { () throws(WireError) -> [Candidate] in try expansion.candidates(target, at: at) }) {
        case .success(let candidates): return candidates
        case .failure(let error) where error.code == .notFound: return []
        case .failure(let error): throw error
        }
    }

    private func subscribeOnce() async throws {
        let needed = state.withLock { state -> Bool in
            let first = !state.subscribed
            state.subscribed = true
            return first
        }
        guard needed else { return }
        do {
            try await directory.subscribe("directory.watch", EmptyBody()) { [weak self] name, line in
                guard name == "directory.changed", let body = try? Envelope.decodeBody([String: Int].self, from: line), let version = body["version"] else { return }
                self?.state.withLock { $0.latestVersion = max($0.latestVersion, version) }
            }
        } catch {
            state.withLock { $0.subscribed = false }
            throw WireError.unavailable("directory: \(error)")
        }
    }
}
