import Foundation

/// Checks `condition` every `interval` until it holds or `timeout` seconds have passed, and
/// answers whether it held. For state that changes behind a test's back with no event to wait on
/// (a background loop, a stand-in server): the bound keeps a regression from hanging the suite,
/// and the caller's `#expect` afterwards says what did not happen.
@discardableResult
public func eventually(
    timeout: Double = 10, every interval: Duration = .milliseconds(5), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return true }
        if Date() >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}
