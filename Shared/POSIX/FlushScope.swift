#if canImport(Glibc)
import Glibc
#endif

/// Lets a thread that produces many outputs in one go hand each destination its share in one
/// write instead of one write per output.
///
/// Why: a store's thread delivers a whole group commit's answers at once, often dozens for one
/// connection; sent one by one, each costs a system call and a TCP segment on both sides (in the
/// router's benchmark, 14 % of the store thread). Inside ``run(_:)``, a destination that holds its
/// output ``enlist(_:_:)``s a flush instead, and every enlisted flush runs once when the outermost
/// scope on the thread ends. Outside a scope, `enlist` answers false and the caller writes at once.
///
/// Threading: a scope belongs to the thread that opened it; flushes run on that thread.
public enum FlushScope {
    private final class Pending {
        var enlisted: Set<ObjectIdentifier> = []
        var flushes: [() -> Void] = []
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// Runs `body`; flushes enlisted during it (by this thread) run once each, in the order they
    /// were enlisted, when the outermost scope ends, even if `body` throws.
    public static func run<T>(_ body: () throws -> T) rethrows -> T {
        if pthread_getspecific(key) != nil { return try body() }
        let pending = Pending()
        pthread_setspecific(key, Unmanaged.passUnretained(pending).toOpaque())
        defer {
            pthread_setspecific(key, nil)
            for flush in pending.flushes { flush() }
        }
        return try withExtendedLifetime(pending) { try body() }
    }

    /// True when a scope is open on this thread.
    public static var isOpen: Bool { pthread_getspecific(key) != nil }

    /// When a scope is open on this thread: records `flush` to run at its end (once per `owner`,
    /// the first flush given) and answers true. Otherwise answers false and records nothing.
    public static func enlist(_ owner: ObjectIdentifier, _ flush: @escaping () -> Void) -> Bool {
        guard let raw = pthread_getspecific(key) else { return false }
        let pending = Unmanaged<Pending>.fromOpaque(raw).takeUnretainedValue()
        if pending.enlisted.insert(owner).inserted { pending.flushes.append(flush) }
        return true
    }
}
