import Dispatch
import Foundation
import Synchronization
import SwitchboardPOSIX

/// A non-blocking TCP connection driven by Dispatch read and write sources on its own serial queue.
///
/// The line server, the line client and the HTTP server all sit on this type, so no service reads
/// or writes a socket by itself.
///
/// Threading: every mutable property is confined to ``queue``; the callbacks run there. Only
/// ``send(_:)`` and ``close()`` may be called from any thread. The descriptor is closed in the
/// cancel handler of the last Dispatch source to be cancelled, never elsewhere.
public final class StreamConnection: @unchecked Sendable {
    /// Callbacks run on ``queue``.
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

    public let queue: DispatchQueue
    public let socket: Socket
    /// A label for logs: the peer or the role.
    public let name: String

    /// Created in ``start(_:)``: a Dispatch source released before it was ever resumed traps.
    private var readSource: (any DispatchSourceRead)!
    private var writeSource: (any DispatchSourceWrite)!
    private var handlers: Handlers?
    private var readSuspended = true
    private var writeSuspended = true
    private var writeBuffer: [UInt8] = []
    private var writeOffset = 0
    private var closing = false
    private var closeAfterFlush = false
    private var pendingCancellations = 2
    private var started = false
    private var readChunk = [UInt8](repeating: 0, count: 65_536)

    /// Bytes sent from other threads, waiting for the queue; guarded by its mutex.
    private let inbox = Mutex<(chunks: [[UInt8]], flushScheduled: Bool)>(([], false))
    private let closedFlag = Atomic<Bool>(false)

    /// Wraps `socket`, which must be non-blocking. Call ``start(_:)`` to begin reading.
    public init(socket: Socket, name: String, queue: DispatchQueue? = nil) {
        self.socket = socket
        self.name = name
        self.queue = queue ?? DispatchQueue(label: "switchboard.connection")
    }

    /// True once ``close()`` has been called or the connection failed.
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Installs the callbacks and starts reading. Call once.
    public func start(_ handlers: Handlers) {
        queue.async { [self] in
            if closing {
                socket.close()
                handlers.closed()
                return
            }
            self.handlers = handlers
            readSource = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: queue)
            writeSource = DispatchSource.makeWriteSource(fileDescriptor: socket.descriptor, queue: queue)
            let sourceCancelled: @Sendable () -> Void = { [self] in
                pendingCancellations -= 1
                if pendingCancellations == 0 {
                    socket.close()
                    let closed = self.handlers?.closed
                    self.handlers = nil
                    closed?()
                }
            }
            readSource.setEventHandler { [self] in readAvailable() }
            readSource.setCancelHandler(handler: sourceCancelled)
            writeSource.setEventHandler { [self] in writeAvailable() }
            writeSource.setCancelHandler(handler: sourceCancelled)
            started = true
            readSuspended = false
            readSource.resume()
            flushWrites()
        }
    }

    /// Queues bytes for sending; callable from any thread. Sends from one thread keep their order.
    public func send(_ bytes: [UInt8]) {
        let schedule = inbox.withLock { state -> Bool in
            state.chunks.append(bytes)
            if state.flushScheduled { return false }
            state.flushScheduled = true
            return true
        }
        if schedule {
            queue.async { [self] in drainInbox() }
        }
    }

    /// Queues bytes for sending; call on ``queue`` only. Writes are coalesced within a queue turn.
    public func write(_ bytes: [UInt8]) {
        guard !closing else { return }
        if writeBuffer.count == writeOffset {
            writeBuffer.removeAll(keepingCapacity: true)
            writeOffset = 0
        }
        writeBuffer.append(contentsOf: bytes)
        flushWrites()
    }

    /// Stops reading (back-pressure) until ``resumeReading()``; on ``queue`` only.
    public func pauseReading() {
        guard !readSuspended, !closing else { return }
        readSuspended = true
        readSource.suspend()
    }

    /// Resumes reading after ``pauseReading()``; on ``queue`` only.
    public func resumeReading() {
        guard readSuspended, !closing, started else { return }
        readSuspended = false
        readSource.resume()
    }

    /// Closes once everything queued so far has been written; on ``queue`` only.
    public func closeWhenFlushed() {
        guard started else { return finishClose() }
        drainInboxChunks()
        if writeOffset == writeBuffer.count {
            finishClose()
        } else {
            closeAfterFlush = true
            pauseReading()
        }
    }

    /// Closes at once, discarding unsent bytes; callable from any thread.
    public func close() {
        queue.async { [self] in finishClose() }
    }

    private func finishClose() {
        guard !closing else { return }
        closing = true
        closedFlag.store(true, ordering: .releasing)
        if started { cancelSources() }
    }

    private func cancelSources() {
        if readSuspended { readSuspended = false; readSource.resume() }
        if writeSuspended { writeSuspended = false; writeSource.resume() }
        writeSource.cancel()
        readSource.cancel()
    }

    private func readAvailable() {
        guard !closing else { return }
        for _ in 0..<16 {
            let result: Socket.ReadResult
            do {
                result = try readChunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            } catch {
                finishClose()
                return
            }
            switch result {
            case .bytes(let count):
                readChunk.withUnsafeBytes { chunk in
                    handlers?.bytes(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                }
                if closing || readSuspended { return }
                if count < readChunk.count { return }
            case .wouldBlock:
                return
            case .endOfStream:
                pauseReading()
                handlers?.endOfStream()
                return
            }
        }
    }

    private func drainInbox() {
        drainInboxChunks()
        flushWrites()
    }

    private func drainInboxChunks() {
        let chunks = inbox.withLock { state -> [[UInt8]] in
            state.flushScheduled = false
            defer { state.chunks.removeAll() }
            return state.chunks
        }
        guard !closing else { return }
        for chunk in chunks { writeBuffer.append(contentsOf: chunk) }
    }

    private func flushWrites() {
        guard !closing, started else { return }
        while writeOffset < writeBuffer.count {
            let sent: Int
            do {
                sent = try writeBuffer.withUnsafeBytes { raw in
                    try socket.send(UnsafeRawBufferPointer(rebasing: raw[writeOffset...]))
                }
            } catch {
                finishClose()
                return
            }
            if sent == 0 {
                if writeSuspended {
                    writeSuspended = false
                    writeSource.resume()
                }
                return
            }
            writeOffset += sent
        }
        writeBuffer.removeAll(keepingCapacity: writeBuffer.capacity <= 1 << 20)
        writeOffset = 0
        if !writeSuspended {
            writeSuspended = true
            writeSource.suspend()
        }
        if closeAfterFlush { finishClose() }
    }

    private func writeAvailable() {
        flushWrites()
    }
}
