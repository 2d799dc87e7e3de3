#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the call's name and its `errno`, with `strerror` for people.
///
/// Every C call in Switchboard goes through ``retryingInterrupts(_:_:)``, so this is the one
/// error type that I/O code needs to understand.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The system call that failed, e.g. `bind`.
    public let operation: String
    /// The `errno` it left.
    public let code: Int32

    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }

    /// `EAGAIN`/`EWOULDBLOCK`: a non-blocking call that would have blocked.
    public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }
}

/// Runs a C call that reports failure as `-1` with `errno`, retrying `EINTR` here and nowhere else.
///
/// - Returns: the call's non-negative result.
/// - Throws: ``SystemError`` carrying `operation` and `errno`.
@inline(__always)
@discardableResult
public func retryingInterrupts<T: BinaryInteger>(_ operation: String, _ call: () -> T) throws(SystemError) -> T {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(operation: operation, code: code)
    }
}
