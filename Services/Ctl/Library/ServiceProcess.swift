public import Foundation
import Synchronization

/// A Switchboard service run as a supervised child process: its stderr is relayed (optionally
/// prefixed) and watched for the `event=listening … port=N` lines that report its ports.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked: `process` is configured before `run()` and afterwards only signalled and
    // waited on; the collected lines live in a Mutex.
    public let name: String
    let process = Process()
    private let lines = Mutex<[String]>([])
    private let changed = NSCondition()
    private let echo: Bool

    /// Starts `binary` with `arguments`; secrets go in `environment`, never in arguments.
    public init(name: String, binary: URL, arguments: [String], environment: [String: String], echo: Bool) throws {
        self.name = name
        self.echo = echo
        process.executableURL = binary
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
        ServiceTermination.shared.started(self)
        // A thread reads stderr until end of file. (FileHandle.readabilityHandler is avoided: its
        // Dispatch source can outlive the descriptor and crash libdispatch.)
        let handle = pipe.fileHandleForReading
        Thread { [weak self] in
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                pending += chunk[0..<count]
                var found: [String] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    found.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                self?.collect(found)
            }
            try? handle.close()
        }.start()
    }

    private func collect(_ newLines: [String]) {
        guard !newLines.isEmpty else { return }
        if echo {
            let text = newLines.map { "[\(name)] \($0)\n" }.joined()
            FileHandle.standardError.write(Data(text.utf8))
        }
        lines.withLock { $0 += newLines }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    /// Waits (bounded) for the port the service reports for `protocolName` (`lines` or `http`).
    public func port(_ protocolName: String, timeout: Double = 30) throws -> UInt16 {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            for line in lines.withLock({ $0 }) where line.contains("event=listening") && line.contains("protocol=\(protocolName)") {
                if let range = line.range(of: " port="), let port = UInt16(line[range.upperBound...].prefix { $0.isNumber }) { return port }
            }
            if !process.isRunning {
                throw CtlError("\(name) exited (status \(process.terminationStatus)): \(lines.withLock { $0 }.suffix(5).joined(separator: " | "))")
            }
            guard changed.wait(until: min(deadline, Date().addingTimeInterval(0.1))) || Date() < deadline else {
                throw CtlError("\(name) did not report its \(protocolName) port within \(Int(timeout))s")
            }
        }
    }

    /// SIGTERM, then waits (bounded) for the exit; SIGKILL if it lingers.
    public func stop(timeout: Double = 10) {
        defer { ServiceTermination.shared.stopped(self) }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }
}

/// A failure of a `switchboardctl` command, printed as is.
public struct CtlError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
