import Testing
import SwitchboardRuntime
import SwitchboardTestSupport

/// The one drain every service part uses.
@Suite struct InFlightTests {
    @Test func drainingRefusesNewWorkAndReturnsWhenTheLastPieceLeaves() async throws {
        let work = InFlight()
        #expect(work.enter() && work.enter())
        async let drained = work.drain(within: .seconds(10))
        #expect(try await eventually { work.isDraining })
        #expect(!work.enter(), "no new work once draining")
        work.leave()
        work.leave()
        #expect(await drained)
        #expect(work.count == 0)
    }

    @Test func aDeadlineEndsTheWaitWhenWorkDoesNotLeave() async {
        let work = InFlight()
        #expect(work.enter())
        let drained = await work.drain(within: .milliseconds(50))
        #expect(!drained && work.count == 1)
        work.enterWhileDraining()
        #expect(work.count == 2)
    }

    @Test func nothingInFlightDrainsAtOnce() async {
        #expect(await InFlight().drain(within: .seconds(10)))
    }
}
