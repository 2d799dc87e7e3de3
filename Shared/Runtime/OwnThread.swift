import Foundation

/// Runs blocking work (a socket read, a plain SQLite loop) on a thread of its own and awaits
/// its result, so it never holds one of the cooperative pool's few threads.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do {
                continuation.resume(returning: try work())
            } catch {
                continuation.resume(throwing: error)
            }
        }.start()
    }
}
