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

    private let entries = Mutex<[String: Entry]>([:])

    /// Installs `routing` as its location's `version`, unless a newer version is already
    /// installed (two `put_config`s answered in one order may reach memory in the other).
    /// Answers the entry the location runs afterwards.
    @discardableResult
    func apply(_ routing: CompiledRouting, version: Int) -> Entry {
        let location = routing.config.location.id
        return entries.withLock { entries in
            if let current = entries[location], current.version >= version { return current }
            let entry = Entry(version: version, routing: routing)
            entries[location] = entry
            return entry
        }
    }

    func entry(location: String) -> Entry? {
        entries.withLock { $0[location] }
    }

    /// The entry of the location that owns `platform`:`address`, with that account as the same
    /// version configures it.
    func entry(platform: Platform, address: String) -> (Entry, Account)? {
        entries.withLock { entries in
            for entry in entries.values {
                if let account = entry.config.account(platform: platform, address: address) { return (entry, account) }
            }
            return nil
        }
    }
}
