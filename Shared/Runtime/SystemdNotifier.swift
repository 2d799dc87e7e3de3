#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SwitchboardPOSIX

/// The `sd_notify` protocol (systemd.io/NOTIFY): datagrams to `$NOTIFY_SOCKET`.
///
/// Does nothing when `NOTIFY_SOCKET` is unset, so the same binary runs under systemd and by hand.
/// When `WATCHDOG_USEC` is set (and `WATCHDOG_PID`, if present, is this process) it pings
/// `WATCHDOG=1` at half that interval from a private queue until ``stopWatchdog()``.
///
/// A datagram that the socket cannot take within `sendTimeout` is dropped, as `sd_notify` drops
/// what fails: a Unix datagram socket queues only `net.unix.max_dgram_qlen` messages (10 here), and
/// a blocking send to a reader that has stopped reading would hang its caller, a service's main
/// task or the watchdog's queue, for good (seen in the test suite run in parallel, where a
/// reader fell behind the 50 ms pings).
// @unchecked: the timer source is thread-safe and configured once, in `ready(status:)`; the rest is immutable.
public final class SystemdNotifier: @unchecked Sendable {
    private let socketPath: String?
    /// Seconds between `WATCHDOG=1` pings: half of `WATCHDOG_USEC`; nil when not asked for.
    public let watchdogInterval: Double?
    private let queue = DispatchQueue(label: "switchboard.sd-notify")
    private let timer: (any DispatchSourceTimer)?
    private let sendTimeoutMilliseconds: Int

    public init(environment: [String: String], sendTimeout: Double = 1) {
        sendTimeoutMilliseconds = max(1, Int(sendTimeout * 1000))
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if socketPath != nil, pidMatches, let micros = environment["WATCHDOG_USEC"].flatMap(Double.init), micros > 0 {
            watchdogInterval = micros / 2 / 1_000_000
            timer = DispatchSource.makeTimerSource(queue: queue)
        } else {
            watchdogInterval = nil
            timer = nil
        }
    }

    /// Whether a supervisor is listening.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1` plus a status line; starts the watchdog pings when configured. Each tick
    /// starts a `heartbeat` round and pings only while it says every part made progress, so a
    /// hung loop or store thread stops the pings and systemd restarts the process.
    public func ready(status: String, heartbeat: Heartbeat? = nil) {
        send("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())")
        if let timer, let watchdogInterval {
            timer.schedule(deadline: .now() + watchdogInterval, repeating: watchdogInterval)
            timer.setEventHandler { [weak self] in self?.watchdogTick(heartbeat) }
            timer.resume()
        }
    }

    /// One watchdog interval (the timer calls it; tests call it to step): pings when `heartbeat`
    /// (if any) is alive, then begins its next round.
    public func watchdogTick(_ heartbeat: Heartbeat?) {
        if heartbeat?.isAlive ?? true { send("WATCHDOG=1") }
        heartbeat?.beat()
    }

    public func status(_ text: String) { send("STATUS=\(text)") }

    /// `STOPPING=1`; stops the watchdog.
    public func stopping() {
        stopWatchdog()
        send("STOPPING=1")
    }

    public func stopWatchdog() {
        timer?.cancel()
    }

    /// Sends one datagram, waiting at most `sendTimeout` for room; failures are ignored (the
    /// supervisor may be gone) as `sd_notify` does.
    public func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard (try? Socket(descriptor: fd).setSendTimeout(milliseconds: sendTimeoutMilliseconds)) != nil else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1))
        let payload = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                payload.withUnsafeBytes { bytes in
                    try? retryingInterrupts("sendto") {
                        sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                    }
                }
            }
        }
    }
}
