import Foundation
import Synchronization
import SwitchboardRuntime

extension Mesh {
    /// Stops this mesh's services should the process get SIGINT or SIGTERM before ``stop()``,
    /// then exits with 128 + the signal: a command interrupted mid-run (Ctrl-C on a load run or
    /// a scenario file) must not leave four services running behind it. `cleanup` runs after.
    public func stopOnTermination(then cleanup: @escaping @Sendable () -> Void = {}) {
        MeshTermination.shared.watch(self, cleanup: cleanup)
    }
}

/// The process's meshes to stop on a termination signal; one signal handler for all of them.
final class MeshTermination: Sendable {
    static let shared = MeshTermination()

    private let watched = Mutex<[ObjectIdentifier: (mesh: Mesh, cleanup: @Sendable () -> Void)]>([:])
    private let installed = Mutex(false)

    func watch(_ mesh: Mesh, cleanup: @escaping @Sendable () -> Void) {
        watched.withLock { $0[ObjectIdentifier(mesh)] = (mesh, cleanup) }
        let first = installed.withLock { installed -> Bool in
            defer { installed = true }
            return !installed
        }
        guard first else { return }
        let signals = TerminationSignals()
        Task { [self] in
            let number = await signals.wait()
            let meshes = watched.withLock { $0.values }
            for (mesh, cleanup) in meshes {
                mesh.stop()
                cleanup()
            }
            exit(128 + number)
        }
    }

    /// The mesh stopped normally: nothing to do for it on a signal.
    func forget(_ mesh: Mesh) {
        _ = watched.withLock { $0.removeValue(forKey: ObjectIdentifier(mesh)) }
    }
}
