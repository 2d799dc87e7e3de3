import CLinux
import Foundation
import Synchronization
public import SwitchboardPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// One thread running `epoll`: it watches descriptors, runs timers and runs work handed to it.
///
/// Why not Dispatch sources: on this 2-core machine every Dispatch read event costs two thread
/// wake-ups (the manager thread, then a worker); a loop that reads, decodes and answers on the
/// thread `epoll` woke halves the wake-ups on the request path (see the foundation benchmarks).
///
/// Threading: registrations, timers and the callbacks are confined to the loop thread; only
/// ``execute(_:)`` and ``inLoop`` may be called from other threads.
public final class EventLoop: @unchecked Sendable {
    /// What a descriptor is watched for.
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: EPOLLIN.rawValue)
        public static let writable = Interest(rawValue: EPOLLOUT.rawValue)
    }

    /// A handle to cancel a scheduled timer.
    public struct TimerID: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    private struct Timer {
        var id: UInt64
        var deadline: UInt64
        var interval: UInt64?
        var work: () -> Void
    }

    private static let wakeToken: UInt64 = .max

    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    private let loopThreadID = Atomic<UInt>(0)
    private let inbox = Mutex<(work: [@Sendable () -> Void], sleeping: Bool, woken: Bool)>(([], false, false))

    // Loop thread only.
    private var watchers: [Int32: (UInt32) -> Void] = [:]
    private var timers: [Timer] = []
    private var nextTimerID: UInt64 = 0

    /// Starts a loop thread named `name`.
    /// The loop thread's name (`sb.loop.0` …).
    public let name: String

    public init(name: String = "sb.loop") {
        self.name = name
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        precondition(epollDescriptor >= 0 && wakeDescriptor >= 0, "epoll/eventfd unavailable: \(String(cString: strerror(errno)))")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            nameCurrentThread(name)
            loopThreadID.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .releasing)
            started.signal()
            run()
        }
        thread.start()
        started.wait()
    }

    /// Whether the caller is on this loop's thread.
    public var inLoop: Bool {
        UInt(pthread_self()) == loopThreadID.load(ordering: .acquiring)
    }

    /// Checks, in debug builds (every test run), that the caller is on this loop's thread: the
    /// loop-only calls touch state no lock guards.
    public func assertInLoop(_ operation: StaticString, file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoop, "EventLoop.\(operation) off the loop thread", file: file, line: line)
    }

    /// Runs `work` on the loop thread, soon; callable from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        let wake = inbox.withLock { inbox -> Bool in
            inbox.work.append(work)
            guard inbox.sleeping, !inbox.woken else { return false }
            inbox.woken = true
            return true
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeDescriptor, &one, 8)
        }
    }

    /// Watches `descriptor`; `handler` gets the `epoll` event bits. Loop thread only.
    public func register(_ descriptor: Int32, interest: Interest, handler: @escaping (UInt32) -> Void) throws(SystemError) {
        precondition(inLoop, "EventLoop.register off the loop thread")
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = UInt64(UInt32(bitPattern: descriptor))
        try retryingInterrupts("epoll_ctl") { epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) }
        watchers[descriptor] = handler
    }

    /// Changes what `descriptor` is watched for. Loop thread only.
    public func modify(_ descriptor: Int32, interest: Interest) {
        assertInLoop("modify")
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = UInt64(UInt32(bitPattern: descriptor))
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Stops watching `descriptor`; call before closing it. Loop thread only.
    public func deregister(_ descriptor: Int32) {
        assertInLoop("deregister")
        watchers.removeValue(forKey: descriptor)
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
    }

    /// Runs `work` on the loop after `delay` seconds, and every `interval` seconds after when set.
    /// Loop thread only.
    @discardableResult
    public func schedule(after delay: Double, repeating interval: Double? = nil, _ work: @escaping () -> Void) -> TimerID {
        assertInLoop("schedule")
        nextTimerID += 1
        insert(Timer(
            id: nextTimerID, deadline: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, delay) * 1e9),
            interval: interval.map { UInt64(max(0.001, $0) * 1e9) }, work: work))
        return TimerID(value: nextTimerID)
    }

    /// Cancels a timer. Loop thread only.
    public func cancel(_ timer: TimerID) {
        assertInLoop("cancel")
        timers.removeAll { $0.id == timer.value }
    }

    private func insert(_ timer: Timer) {
        var low = 0
        var high = timers.count
        while low < high {
            let middle = (low + high) / 2
            if timers[middle].deadline <= timer.deadline { low = middle + 1 } else { high = middle }
        }
        timers.insert(timer, at: low)
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let timeout: Int32
            let hasWork = inbox.withLock { inbox -> Bool in
                if inbox.work.isEmpty { inbox.sleeping = true }
                return !inbox.work.isEmpty
            }
            if hasWork {
                timeout = 0
            } else if let first = timers.first {
                let now = DispatchTime.now().uptimeNanoseconds
                timeout = first.deadline <= now ? 0 : Int32(min(60_000, (first.deadline - now + 999_999) / 1_000_000))
            } else {
                timeout = -1
            }
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epollDescriptor, $0.baseAddress, 256, timeout) }
            inbox.withLock { $0.sleeping = false }
            if count > 0 {
                for index in 0..<Int(count) {
                    let event = events[index]
                    if event.data.u64 == Self.wakeToken {
                        var value: UInt64 = 0
                        _ = read(wakeDescriptor, &value, 8)
                        inbox.withLock { $0.woken = false }
                    } else if let watcher = watchers[Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))] {
                        watcher(event.events)
                    }
                }
            }
            runDueTimers()
            let work = inbox.withLock { inbox -> [@Sendable () -> Void] in
                defer { inbox.work.removeAll(keepingCapacity: true) }
                return inbox.work
            }
            for item in work { item() }
        }
    }

    private func runDueTimers() {
        let now = DispatchTime.now().uptimeNanoseconds
        while let first = timers.first, first.deadline <= now {
            var timer = timers.removeFirst()
            if let interval = timer.interval {
                timer.deadline = now + interval
                insert(timer)
            }
            timer.work()
        }
    }
}

/// A fixed set of event loops; connections are spread over them in turn.
public final class EventLoopGroup: Sendable {
    /// One loop per core (at most four): shared by every server and client in the process.
    public static let shared = EventLoopGroup(count: min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)))

    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    public init(count: Int) {
        loops = (0..<count).map { EventLoop(name: "sb.loop.\($0)") }
    }

    /// The next loop in turn.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }
}
