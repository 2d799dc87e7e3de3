import Dispatch
import Synchronization

/// A location's GoHighLevel credential, read from the secrets at most once per `refresh`
/// seconds, so a credential added to the environment or the credentials folder is picked up
/// without a restart while the message path does not read the secrets for every item.
///
/// Every enqueued item asks whether its location syncs the CRM, and every CRM call asks for its
/// credential: reading them afresh each time (four names, each an environment lookup and a file
/// check) was a third of the notifier's instructions at 50 msgs/s (`docs/performance.md`).
final class CRMCredentialCache: Sendable {
    private struct Entry {
        var credential: CRMCredential?
        var readAt: UInt64
    }

    private let read: @Sendable (String) -> CRMCredential?
    private let refreshNanoseconds: UInt64
    private let entries = Mutex<[String: Entry]>([:])
    /// Monotonic nanoseconds; injected by tests.
    private let now: @Sendable () -> UInt64

    init(
        refresh: Double = 5, now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
        read: @escaping @Sendable (String) -> CRMCredential?
    ) {
        self.read = read
        self.refreshNanoseconds = UInt64(max(0, refresh) * 1e9)
        self.now = now
    }

    /// The credential of `location`, or nil when it has none.
    func credential(_ location: String) -> CRMCredential? {
        let time = now()
        if let entry = entries.withLock({ $0[location] }), time &- entry.readAt < refreshNanoseconds {
            return entry.credential
        }
        // Read outside the lock: two callers may both read, and either answer is current.
        let credential = read(location)
        entries.withLock { $0[location] = Entry(credential: credential, readAt: time) }
        return credential
    }
}
