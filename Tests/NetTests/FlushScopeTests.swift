import Foundation
import Synchronization
import Testing
import SwitchboardNet
import SwitchboardPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// ``FlushScope`` on its own, and ``StreamConnection`` holding its sends inside one.
@Suite struct FlushScopeTests {
    @Test func enlistOutsideAScopeAnswersFalseAndRecordsNothing() {
        let ran = Mutex(0)
        #expect(!FlushScope.isOpen)
        #expect(!FlushScope.enlist(ObjectIdentifier(Self.Owner.self)) { ran.withLock { $0 += 1 } })
        FlushScope.run {}
        #expect(ran.withLock { $0 } == 0)
    }

    @Test func eachOwnersFirstFlushRunsOnceInOrderWhenTheOutermostScopeEnds() {
        let log = Mutex<[String]>([])
        let first = Owner()
        let second = Owner()
        FlushScope.run {
            #expect(FlushScope.enlist(ObjectIdentifier(second)) { log.withLock { $0.append("second") } })
            FlushScope.run {
                #expect(FlushScope.enlist(ObjectIdentifier(first)) { log.withLock { $0.append("first") } })
                #expect(FlushScope.enlist(ObjectIdentifier(second)) { log.withLock { $0.append("second again") } })
            }
            #expect(log.withLock { $0 }.isEmpty, "an inner scope's end flushes nothing")
        }
        #expect(log.withLock { $0 } == ["second", "first"])
        #expect(!FlushScope.isOpen)
    }

    @Test func aThrowingScopeStillFlushes() {
        let ran = Mutex(false)
        #expect(throws: Failure.self) {
            try FlushScope.run {
                _ = FlushScope.enlist(ObjectIdentifier(Self.Owner.self)) { ran.withLock { $0 = true } }
                throw Failure()
            }
        }
        #expect(ran.withLock { $0 })
    }

    @Test func sendsInsideAScopeWaitForItsEndThenArriveTogetherInOrder() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
        let local = Socket(descriptor: descriptors[0])
        try local.setNonBlocking()
        let peer = Socket(descriptor: descriptors[1])
        defer { peer.close() }
        try peer.setReceiveTimeout(milliseconds: 10_000)
        let connection = StreamConnection(socket: local, name: "test")
        connection.start(.init(bytes: { _ in }, endOfStream: {}, closed: {}))
        defer { connection.close() }

        // Outside a scope a send is written at once (once the connection has started).
        connection.send(Array("ready\n".utf8))
        #expect(try Self.read(peer, count: 6) == "ready\n")

        FlushScope.run {
            for line in ["one\n", "two\n", "three\n"] { connection.send(Array(line.utf8)) }
            var byte: UInt8 = 0
            #expect(recv(peer.descriptor, &byte, 1, Int32(MSG_DONTWAIT)) == -1, "nothing is written while the scope lasts")
        }
        #expect(try Self.read(peer, count: 14) == "one\ntwo\nthree\n")
    }

    private final class Owner {}
    private struct Failure: Error {}

    /// Reads exactly `count` bytes (the socket's receive timeout bounds the wait).
    private static func read(_ socket: Socket, count: Int) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: count)
        while bytes.count < count {
            let got = chunk.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, count - bytes.count, 0) }
            guard got > 0 else { throw Failure() }
            bytes += chunk[0..<got]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
