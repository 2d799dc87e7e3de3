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
    private let onChange = Mutex<(@Sendable () -> Void)?>(nil)

    /// Called when the directory announces a change (the router offers queued contacts again).
    var changed: (@Sendable () -> Void)? {
        get { onChange.withLock { $0 } }
        set { onChange.withLock { $0 = newValue } }
    }

    init(directory: LineClient, maximumAge: Double = 5) {
        self.directory = directory
        self.maximumAge = maximumAge
    }

    /// The latest directory version announced to this router; nil before it subscribes (its
    /// first decision): until then every copy is fetched fresh, so none can be stale.
    var announcedVersion: Int? {
        state.withLock { $0.subscribed ? $0.latestVersion : nil }
    }

    /// The location's directory as of the latest version the directory announced, fetched when
    /// the copy is older than that or than `maximumAge`.
    func expansion(location: String) async throws -> CandidateExpansion {
        try await subscribeOnce()
        let now = Date()
        let cached = state.withLock { state -> CandidateExpansion? in
            guard let entry = state.entries[location], entry.version >= state.latestVersion, now.timeIntervalSince(entry.fetched) < maximumAge else { return nil }
            return entry.expansion
        }
        if let cached { return cached }
        let snapshot: DirectorySnapshot
        do {
            snapshot = try await directory.call("directory.snapshot", ["location": location], as: DirectorySnapshot.self)
        } catch let error as WireError where error.retryable {
            throw WireError.unavailable("directory: \(error.message)")
        }
        let expansion = try snapshot.expansion()
        state.withLock { state in
            state.entries[location] = Entry(expansion: expansion, version: snapshot.version, fetched: now)
            state.latestVersion = max(state.latestVersion, snapshot.version)
        }
        return expansion
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
                self?.changed?()
            }
        } catch {
            state.withLock { $0.subscribed = false }
            throw WireError.unavailable("directory: \(error)")
        }
    }
}
