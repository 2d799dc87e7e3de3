import Foundation
import Synchronization
import SwitchboardDomain

/// The configuration each location runs: its stored version and its compiled form, together
/// in one entry behind one lock.
///
/// Why one entry: a decision takes the entry once and reads everything from it — the account
/// the message was written to, the rules, tags and location settings — so no decision can mix
/// two versions, and none can put an older version back. (What this replaced: the documents
/// and a lazily filled compile cache keyed by location under two locks; a decision still
/// holding version 1 could compile and cache it just after version 2 was applied, and every
/// later decision ran version 1's rules with version 2's accounts until the next change.)
/// Compiling happens once per version, in ``apply(_:version:)``, before anything is decided with it.
final class AppliedConfigurations: Sendable {
    /// One location's configuration as applied.
    struct Entry: Sendable {
        let version: Int
        let routing: CompiledRouting
        var config: LocationConfig { routing.config }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// "platform:address" → the location whose current entry configures that account, so
        /// a message finds its location without scanning every location's accounts.
        var locations: [String: String] = [:]
    }

    private let state = Mutex(State())

    private static func key(_ platform: Platform, _ address: String) -> String { "\(platform.rawValue):\(address)" }

    /// Installs `routing` as its location's `version`, unless a newer version is already
    /// installed (two `put_config`s answered in one order may reach memory in the other).
    /// Answers the entry the location runs afterwards.
    @discardableResult
    func apply(_ routing: CompiledRouting, version: Int) -> Entry {
        let location = routing.config.location.id
        return state.withLock { state in
            if let current = state.entries[location], current.version >= version { return current }
            for account in state.entries[location]?.config.accounts ?? [] {
                state.locations[Self.key(account.platform, account.address)] = nil
            }
            let entry = Entry(version: version, routing: routing)
            state.entries[location] = entry
            for account in routing.config.accounts { state.locations[Self.key(account.platform, account.address)] = location }
            return entry
        }
    }

    /// Every location's entry, by location id.
    func all() -> [Entry] {
        state.withLock { state in state.entries.keys.sorted().compactMap { state.entries[$0] } }
    }

    func entry(location: String) -> Entry? {
        state.withLock { $0.entries[location] }
    }

    /// The entry of the location that owns `platform`:`address`, with that account as the same
    /// version configures it.
    func entry(platform: Platform, address: String) -> (Entry, Account)? {
        state.withLock { state in
            guard let location = state.locations[Self.key(platform, address)], let entry = state.entries[location],
                  let account = entry.config.account(platform: platform, address: address)
            else { return nil }
            return (entry, account)
        }
    }
}
