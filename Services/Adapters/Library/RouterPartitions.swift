import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// What chooses an event's router instance: the account it was written to (or from), or the
/// location it names. Stored with the event in the inbox as `account:PLATFORM:ADDRESS` or
/// `location:ID`.
enum PartitionKey: Sendable, Equatable, CustomStringConvertible {
    case account(platform: Platform, address: String)
    case location(String)

    var description: String {
        switch self {
        case .account(let platform, let address): "account:\(platform.rawValue):\(address)"
        case .location(let location): "location:\(location)"
        }
    }

    init?(parsing text: String) {
        if text.hasPrefix("location:") {
            self = .location(String(text.dropFirst("location:".count)))
            return
        }
        let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "account", let platform = Platform(rawValue: parts[1]) else { return nil }
        self = .account(platform: platform, address: parts[2])
    }
}

/// The adapters' way to a location's router instance (docs/scaling.md).
///
/// A webhook names an account, not a location, and only the routers know which location an
/// account belongs to (it is in the configuration `apply` gave the location's router). So the
/// adapters keep the routers' account index (`router.accounts`, from every instance) and look
/// each event up. An account the index lacks (one just applied) makes the event wait while the
/// index is read again (at most once a second); an account no router knows after that goes to
/// the first instance, which answers `not_found`, and the event is kept as rejected, as with
/// one router. With one router instance nothing is looked up.
final class RouterPartitions: Sendable {
    enum Route {
        case send(LineClient)
        /// The index is being read again: try the event a little later.
        case wait
    }

    private struct State {
        var accounts: [String: String] = [:]
        /// When each account the index lacked was first looked up.
        var missed: [String: Date] = [:]
        var refreshedAt = Date.distantPast
        var refreshing = false
    }

    let ring: RouterRing
    private let logger: Logger
    private let state = Mutex(State())

    init(ring: RouterRing, logger: Logger) {
        self.ring = ring
        self.logger = logger
    }

    /// The instance `key`'s event goes to, or `.wait` while the account index is being refreshed.
    func route(_ key: PartitionKey?) -> Route {
        guard !ring.isSingle, let key else { return .send(ring.first) }
        switch key {
        case .location(let location): return .send(ring.client(for: location))
        case .account:
            let now = Date()
            enum Found { case location(String), absent, refreshing, startRefresh }
            let found = state.withLock { state -> Found in
                if let location = state.accounts[key.description] { return .location(location) }
                let missedAt = state.missed[key.description] ?? now
                state.missed[key.description] = missedAt
                // Read since this account was first missed: no router has it.
                if state.refreshedAt > missedAt { return .absent }
                if state.refreshing { return .refreshing }
                state.refreshing = true
                return .startRefresh
            }
            switch found {
            case .location(let location): return .send(ring.client(for: location))
            case .absent: return .send(ring.first)
            case .refreshing: return .wait
            case .startRefresh:
                Task { await refresh() }
                return .wait
            }
        }
    }

    /// Reads every instance's account index; a second refresh waits at least a second after the
    /// last.
    func refresh() async {
        let sinceLast = state.withLock { Date().timeIntervalSince($0.refreshedAt) }
        if sinceLast < 1 { try? await Task.sleep(for: .seconds(1 - sinceLast)) }
        let started = Date()
        var accounts: [String: String] = [:]
        var complete = true
        for (name, client) in ring.all {
            do {
                let index = try await client.call("router.accounts", EmptyBody(), as: AccountIndex.self, timeout: 5)
                for entry in index.accounts {
                    accounts[PartitionKey.account(platform: entry.platform, address: entry.address).description] = entry.location
                }
            } catch {
                complete = false
                logger.warning("account index not read", ["router": name, "error": "\(error)"])
            }
        }
        state.withLock { state in
            state.accounts.merge(accounts) { _, fresh in fresh }
            state.refreshing = false
            // An instance that did not answer may hold the account: missed accounts wait for
            // the next refresh rather than go to the first instance.
            if complete {
                state.refreshedAt = started
                state.missed = state.missed.filter { state.accounts[$0.key] == nil }
            }
        }
    }
}
