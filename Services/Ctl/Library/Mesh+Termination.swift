import Foundation
import Synchronization
import SwitchboardRuntime

extension Mesh {
    /// From now on, SIGINT or SIGTERM stops every service this program started (a mesh still
    /// starting included), deletes the folders given to ``removeOnTermination(_:)``, then exits
    /// with 128 + the signal: a load or scenario run interrupted with Ctrl-C must not leave four
    /// services running behind it. Call it before starting a mesh. (The launcher, `up`, handles
    /// its signals itself.)
    public static func stopServicesOnTermination() {
        ServiceTermination.shared.install()
    }

    /// The signal that is stopping the program, once one arrived: a run failing because its
    /// services went away should exit with 128 + it, as the handler would.
    public static var terminatingSignal: Int32? {
        ServiceTermination.shared.signal
    }

    /// Deletes `folder` should the program be stopped by a signal before this mesh is stopped.
    public func removeOnTermination(_ folder: String) {
        ServiceTermination.shared.remove(folder, until: self)
    }
}

/// The service processes this program runs, and what to delete, should a signal stop it.
final class ServiceTermination: Sendable {
    static let shared = ServiceTermination()

    private struct State {
        var installed = false
        var signal: Int32?
        var running: [ObjectIdentifier: ServiceProcess] = [:]
        var folders: [ObjectIdentifier: String] = [:]
    }

    private let state = Mutex(State())

    func install() {
        let first = state.withLock { state -> Bool in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        let signals = TerminationSignals()
        Task { [self] in
            let number = await signals.wait()
            let (running, folders) = state.withLock { state in
                state.signal = number
                return (Array(state.running.values), Array(state.folders.values))
            }
            for service in running { service.stop() }
            for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
            exit(128 + number)
        }
    }

    var signal: Int32? { state.withLock { $0.signal } }

    func started(_ service: ServiceProcess) {
        let late = state.withLock { state -> Bool in
            guard state.signal == nil else { return true }
            state.running[ObjectIdentifier(service)] = service
            return false
        }
        // Started while the handler was already stopping everything: stop it here.
        if late { service.stop() }
    }

    func stopped(_ service: ServiceProcess) {
        _ = state.withLock { $0.running.removeValue(forKey: ObjectIdentifier(service)) }
    }

    func remove(_ folder: String, until mesh: Mesh) {
        state.withLock { $0.folders[ObjectIdentifier(mesh)] = folder }
    }

    func forget(_ mesh: Mesh) {
        _ = state.withLock { $0.folders.removeValue(forKey: ObjectIdentifier(mesh)) }
    }
}
