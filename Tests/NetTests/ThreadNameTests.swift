import Foundation
import Synchronization
import Testing
import SwitchboardPOSIX

@Suite struct ThreadNameTests {
    /// The name the kernel holds for a thread that named itself `name`.
    private static func kernelName(afterNaming name: String) -> String? {
        let seen = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            nameCurrentThread(name)
            let comm = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            seen.withLock { $0 = comm?.trimmingCharacters(in: .newlines) }
            done.signal()
        }
        thread.start()
        _ = done.wait(timeout: .now() + 10)
        return seen.withLock { $0 }
    }

    @Test func aThreadNamesItselfAsTheKernelShowsItAndALongNameIsCutAtFifteenBytes() {
        #expect(Self.kernelName(afterNaming: "sb.store") == "sb.store")
        #expect(Self.kernelName(afterNaming: "switchboard.checkpoint") == "switchboard.che")
    }
}
