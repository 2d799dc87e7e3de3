import SwitchboardDomain

/// One user's open load of one kind (`ROUTING.md`, capacity and least-loaded).
///
/// The rule, stated once: while a contact is open it counts toward its owner (`contact` loads)
/// and toward each of its thread assignees (`thread` loads, the `separate` strategy). The
/// router's file (`open_loads`, written with each commit) and every in-memory
/// ``LocationSnapshot`` apply the changes computed here, so the two cannot disagree.
struct OpenLoad: Hashable, Sendable {
    enum Kind: String, Sendable { case contact, thread }

    var kind: Kind
    var user: String

    /// The loads `contact` counts toward, one entry per count.
    static func counted(_ contact: ContactState) -> [OpenLoad] {
        guard contact.open else { return [] }
        var loads = contact.owner.map { [OpenLoad(kind: .contact, user: $0)] } ?? []
        for assignee in contact.threads.values { loads.append(OpenLoad(kind: .thread, user: assignee)) }
        return loads
    }

    /// The net change of each load when `old` (nil: a new contact) becomes `new`; loads that do
    /// not change are absent.
    static func changes(from old: ContactState?, to new: ContactState) -> [OpenLoad: Int] {
        var changes: [OpenLoad: Int] = [:]
        for load in old.map(counted) ?? [] { changes[load, default: 0] -= 1 }
        for load in counted(new) { changes[load, default: 0] += 1 }
        return changes.filter { $0.value != 0 }
    }
}
