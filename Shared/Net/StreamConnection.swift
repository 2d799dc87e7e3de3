import CLinux
import Foundation
import Synchronization
public import SwitchboardPOSIX

/// A non-blocking TCP connection: read on its ``EventLoop``, written directly from whichever
/// thread produces the bytes.
///
/// The line server, the line client and the HTTP server all sit on this type, so no service reads
/// or writes a socket by itself.
///
/// Threading: reading state and the callbacks are confined to ``loop``. Output lives behind a
/// mutex: ``send(_:)`` writes straight to the socket when nothing is queued (no thread hop on the
/// answer path) and leaves the rest to the loop. While the `bytes` callback runs, sends are held
/// ("corked") and leave in one `send` afterwards, so answers to pipelined requests share syscalls;
/// sends made inside a ``FlushScope`` (a store's thread delivering a group commit's answers) are
/// held the same way until the scope ends.
/// The descriptor is deregistered and closed on the loop, once.
public final class StreamConnection: @unchecked Sendable {
    /// Callbacks run on ``loop``.
    public struct Handlers: Sendable {
        /// Bytes arrived.
        public var bytes: @Sendable (UnsafeRawBufferPointer) -> Void
        /// The peer closed its sending side; what was queued can still be written.
        public var endOfStream: @Sendable () -> Void
        /// The connection is closed and its descriptor released.
        public var closed: @Sendable () -> Void

        public init(
            bytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
            endOfStream: @escaping @Sendable () -> Void,
            closed: @escaping @Sendable () -> Void
        ) {
            self.bytes = bytes
            self.endOfStream = endOfStream
            self.closed = closed
        }
    }

    /// What a write from a sender's thread left: nothing, the rest for the loop (the socket is
    /// full), or a failed socket to close.
    private enum SendOutcome { case done, needsLoop, failed }

    private struct Output {
        var buffer: [UInt8] = []
        var offset = 0
        /// Started and not closing: sends may touch the socket.
        var writable = false
        /// Bytes are waiting for the socket to take more (write interest is on).
        var waitingForSpace = false
        /// The loop is inside the `bytes` callback: hold sends until it returns.
        var corked = false
        /// A ``FlushScope`` on some thread holds sends until it ends.
        var heldByScope = false
        var closeAfterFlush = false

        var isEmpty: Bool { offset == buffer.count }

        mutating func append(_ bytes: [UInt8]) {
            if isEmpty {
                buffer.removeAll(keepingCapacity: true)
                offset = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// Writes what the socket takes, from a sender's thread.
        mutating func write(to socket: Socket) -> SendOutcome {
            guard flush(to: socket) else { return .failed }
            return waitingForSpace ? .needsLoop : .done
        }

        /// Writes what the socket takes; returns false on a socket error.
        mutating func flush(to socket: Socket) -> Bool {
            while !isEmpty {
                let sent: Int
                do {
                    sent = try buffer.withUnsafeBytes { raw in try socket.send(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
                } catch {
                    writable = false
                    return false
                }
                if sent == 0 {
                    waitingForSpace = true
                    return true
                }
                offset += sent
            }
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            offset = 0
            waitingForSpace = false
            return true
        }
    }

    public let loop: EventLoop
    public let socket: Socket
    /// A label for logs: the peer or the role.
    public let name: String

    // Confined to `loop`.
    private var handlers: Handlers?
    private var reading = true
    private var watchingWrites = false
    /// What `epoll` currently watches, so unchanged interest costs no syscall.
    private var registeredInterest: EventLoop.Interest = .readable
    private var closing = false
    private var started = false
    private var readChunk = [UInt8](repeating: 0, count: 65_536)

    private let output = Mutex(Output())
    private let closedFlag = Atomic<Bool>(false)

    /// Wraps `socket`, which must be non-blocking. Call ``start(_:)`` to begin.
    public init(socket: Socket, name: String, loop: EventLoop = EventLoopGroup.shared.next()) {
        self.socket = socket
        self.name = name
        self.loop = loop
    }

    /// True once the connection is closing or closed.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Installs the callbacks and starts reading. Call once.
    public func start(_ handlers: Handlers) {
        loop.execute { [self] in
            guard !closing else {
                socket.close()
                handlers.closed()
                return
            }
            self.handlers = handlers
            do {
                try loop.register(socket.descriptor, interest: .readable) { [self] events in handle(events) }
            } catch {
                closing = true
                closedFlag.store(true, ordering: .releasing)
                socket.close()
                self.handlers = nil
                handlers.closed()
                return
            }
            started = true
            let healthy = output.withLock { output -> Bool in
                output.writable = true
                return output.flush(to: socket)
            }
            if !healthy { return finishClose() }
            updateInterest()
        }
    }

    /// Sends bytes; callable from any thread. Bytes from one thread keep their order.
    public func send(_ bytes: [UInt8]) {
        // Inside a scope, the flush is enlisted before the bytes are held, so it cannot be missed.
        // `isOpen` first: outside a scope (most sends) no flush closure is built at all.
        let scoped = FlushScope.isOpen && FlushScope.enlist(ObjectIdentifier(self)) { [self] in flushHeld() }
        finish(output.withLock { output -> SendOutcome in
            let held = scoped || !output.isEmpty || output.waitingForSpace || !output.writable || output.corked || output.heldByScope
            output.append(bytes)
            if scoped { output.heldByScope = true }
            return held ? .done : output.write(to: socket)
        })
    }

    /// Writes what sends held for a ``FlushScope`` that has ended, unless the loop's own cork or a
    /// full socket will write it.
    private func flushHeld() {
        finish(output.withLock { output -> SendOutcome in
            output.heldByScope = false
            guard !output.isEmpty, !output.waitingForSpace, output.writable, !output.corked else { return .done }
            return output.write(to: socket)
        })
    }

    /// Leaves to the loop what a write from a sender's thread could not finish.
    private func finish(_ outcome: SendOutcome) {
        switch outcome {
        case .done: break
        case .needsLoop: loop.execute { [self] in updateInterest() }
        case .failed: close()
        }
    }

    /// The same as ``send(_:)``.
    public func write(_ bytes: [UInt8]) {
        send(bytes)
    }

    /// Stops reading (back-pressure) until ``resumeReading()``; on ``loop`` only.
    public func pauseReading() {
        loop.assertInLoop("StreamConnection.pauseReading")
        guard reading, !closing else { return }
        reading = false
        updateInterest()
    }

    /// Resumes reading after ``pauseReading()``; on ``loop`` only.
    public func resumeReading() {
        loop.assertInLoop("StreamConnection.resumeReading")
        guard !reading, !closing else { return }
        reading = true
        updateInterest()
    }

    /// Closes once everything sent so far has been written; on ``loop`` only.
    public func closeWhenFlushed() {
        loop.assertInLoop("StreamConnection.closeWhenFlushed")
        let flushed = output.withLock { output -> Bool in
            if output.isEmpty { return true }
            output.closeAfterFlush = true
            return false
        }
        if flushed {
            finishClose()
        } else {
            pauseReading()
        }
    }

    /// Closes at once, discarding unsent bytes; callable from any thread.
    public func close() {
        loop.execute { [self] in finishClose() }
    }

    /// Runs `work` on this connection's loop.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        loop.execute(work)
    }

    private func finishClose() {
        guard !closing else { return }
        closing = true
        closedFlag.store(true, ordering: .releasing)
        output.withLock { $0.writable = false }
        guard started else { return }
        loop.deregister(socket.descriptor)
        socket.close()
        let closed = handlers?.closed
        handlers = nil
        closed?()
    }

    private func updateInterest() {
        guard started, !closing else { return }
        let wantsWrites = output.withLock { $0.waitingForSpace }
        var interest: EventLoop.Interest = []
        if reading { interest.insert(.readable) }
        if wantsWrites { interest.insert(.writable) }
        watchingWrites = wantsWrites
        guard interest != registeredInterest else { return }
        registeredInterest = interest
        loop.modify(socket.descriptor, interest: interest)
    }

    private func handle(_ events: UInt32) {
        if events & (EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0, watchingWrites {
            writeAvailable()
        }
        if events & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0, reading {
            readAvailable()
        }
    }

    /// Reads at most one chunk per readiness event, so one busy peer cannot starve the other
    /// connections of its loop (epoll is level-triggered: the rest is reported again).
    private func readAvailable() {
        guard !closing, reading else { return }
        let result: Socket.ReadResult
        do {
            result = try readChunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        } catch {
            finishClose()
            return
        }
        switch result {
        case .bytes(let count):
            output.withLock { $0.corked = true }
            readChunk.withUnsafeBytes { chunk in
                handlers?.bytes(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            }
            uncork()
        case .wouldBlock:
            break
        case .endOfStream:
            pauseReading()
            handlers?.endOfStream()
        }
    }

    private func uncork() {
        enum Outcome { case fine, failed, close }
        let outcome = output.withLock { output -> Outcome in
            output.corked = false
            guard output.writable else { return .fine }
            guard output.flush(to: socket) else { return .failed }
            return output.isEmpty && output.closeAfterFlush ? .close : .fine
        }
        switch outcome {
        case .fine: if !closing { updateInterest() }
        case .failed, .close: finishClose()
        }
    }

    private func writeAvailable() {
        enum Outcome { case fine, failed, close }
        let outcome = output.withLock { output -> Outcome in
            guard output.flush(to: socket) else { return .failed }
            return output.isEmpty && output.closeAfterFlush ? .close : .fine
        }
        switch outcome {
        case .fine: updateInterest()
        case .failed, .close: finishClose()
        }
    }
}
