import Synchronization
import Testing
import SwitchboardRuntime

/// Parts start in order and stop in reverse; a part that cannot start stops those before it.
@Suite struct ServiceGroupTests {
    final class Log: Sendable { let entries = Mutex<[String]>([]) }

    final class Part: Service {
        let name: String
        let log: Log
        let fails: Bool
        init(_ name: String, log: Log, fails: Bool = false) {
            self.name = name
            self.log = log
            self.fails = fails
        }
        struct Refused: Error {}
        func start() async throws {
            if fails { throw Refused() }
            log.entries.withLock { $0.append("start \(name)") }
        }
        func stop() async { log.entries.withLock { $0.append("stop \(name)") } }
    }

    @Test func partsStartInOrderAndStopInReverse() async throws {
        let log = Log()
        let group = ServiceGroup([Part("client", log: log), Part("service", log: log), Part("server", log: log)])
        try await group.start()
        await group.stop()
        #expect(log.entries.withLock { $0 } == ["start client", "start service", "start server", "stop server", "stop service", "stop client"])
    }

    @Test func aPartThatCannotStartStopsThoseStartedBeforeIt() async {
        let log = Log()
        let group = ServiceGroup([Part("client", log: log), Part("service", log: log), Part("server", log: log, fails: true)])
        do {
            try await group.start()
            Issue.record("expected the start to fail")
        } catch {
            #expect(error is Part.Refused)
        }
        #expect(log.entries.withLock { $0 } == ["start client", "start service", "stop service", "stop client"])
    }
}
