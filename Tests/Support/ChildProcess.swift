public import Foundation
import Synchronization

/// A real child process for integration tests: started from a built binary, its stdout and stderr
/// collected line by line, waited on with bounded waits, stopped with a signal.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is only started, signalled and waited on; output lives in a Mutex.
    public let process: Process
    private let output = Mutex<(stdout: [String], stderr: [String], partial: [String: [UInt8]])>(([], [], [:]))
    private let changed = NSCondition()
    /// Output streams not yet at end of file.
    private let openStreams = Mutex(2)

    /// Starts `binary` (a product name found beside the test bundle) with `arguments`.
    public init(_ binary: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = try BuildProducts.executable(binary)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A thread per pipe reads until end of file. (FileHandle.readabilityHandler is avoided:
        // its Dispatch source can outlive the descriptor and crash libdispatch.)
        for (pipe, stream) in [(stdoutPipe, "stdout"), (stderrPipe, "stderr")] {
            let handle = pipe.fileHandleForReading
            Thread { [weak self] in
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    self?.collect(Array(buffer[0..<count]), stream: stream)
                }
                try? handle.close()
                self?.reachedEnd()
            }.start()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    public var stdoutLines: [String] { output.withLock { $0.stdout } }
    public var stderrLines: [String] { output.withLock { $0.stderr } }

    /// Waits (at most `timeout` seconds) for a line on stdout or stderr containing `text`.
    @discardableResult
    public func waitForLine(containing text: String, timeout: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            let lines = output.withLock { $0.stdout + $0.stderr }
            if let line = lines.first(where: { $0.contains(text) }) { return line }
            guard changed.wait(until: deadline) else {
                throw TestFailure("no line containing \"\(text)\" within \(timeout)s; stderr: \(stderrLines.suffix(20).joined(separator: "\n"))")
            }
        }
    }

    /// The port from the service's `event=listening … port=N` log line (for `protocol`).
    public func listeningPort(protocol name: String = "lines", timeout: Double = 20) throws -> UInt16 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let line = try waitForLine(containing: "event=listening", timeout: deadline.timeIntervalSinceNow)
            let lines = stderrLines.filter { $0.contains("event=listening") && $0.contains("protocol=\(name)") }
            if let match = lines.first ?? (line.contains("protocol=\(name)") ? line : nil),
               let range = match.range(of: " port=") {
                let digits = match[range.upperBound...].prefix { $0.isNumber }
                if let port = UInt16(digits) { return port }
            }
            changed.lock()
            _ = changed.wait(until: min(deadline, Date().addingTimeInterval(0.5)))
            changed.unlock()
        }
        throw TestFailure("no listening line for \(name)")
    }

    public func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit (bounded), returning its status.
    @discardableResult
    public func waitForExit(timeout: Double = 20) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while process.isRunning {
            if Date() >= deadline { throw TestFailure("process \(pid) did not exit within \(timeout)s") }
            _ = changed.wait(until: min(deadline, Date().addingTimeInterval(0.01)))
        }
        // Its last output may still be in the pipes: read to their end (bounded: a grandchild
        // holding them open must not stall the test).
        let outputDeadline = min(deadline, Date().addingTimeInterval(5))
        while openStreams.withLock({ $0 }) > 0, Date() < outputDeadline {
            _ = changed.wait(until: min(outputDeadline, Date().addingTimeInterval(0.01)))
        }
        return process.terminationStatus
    }

    /// Kills the process if it is still running and reaps it.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    private func reachedEnd() {
        openStreams.withLock { $0 -= 1 }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }

    private func collect(_ bytes: [UInt8], stream: String) {
        output.withLock { state in
            var buffer = state.partial[stream, default: []] + bytes
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                if stream == "stdout" { state.stdout.append(line) } else { state.stderr.append(line) }
                buffer.removeSubrange(...newline)
            }
            state.partial[stream] = buffer
        }
        changed.lock()
        changed.broadcast()
        changed.unlock()
    }
}

/// A failure raised by test helpers, with a message for the report.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Locates the executables SwiftPM built next to the test bundle.
public enum BuildProducts {
    public static func executable(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/\(name)")
        if FileManager.default.isExecutableFile(atPath: fallback.path) { return fallback }
        throw TestFailure("executable \(name) not found near \(CommandLine.arguments[0]); run `swift build` first")
    }
}

/// A fresh temporary directory, removed when the value is deinitialised.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A thread-safe counter for tests that tally results from many tasks.
public final class Tally: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    public func add(_ amount: Int = 1) { count.add(amount, ordering: .relaxed) }

    public var value: Int { count.load(ordering: .relaxed) }
}

/// A thread-safe list that tests append to from many tasks.
public final class Recorder<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    public init() {}

    public func append(_ element: Element) { storage.withLock { $0.append(element) } }

    public var values: [Element] { storage.withLock { $0 } }
}

/// Runs `executable` (a path, or a name looked up on the PATH through `/usr/bin/env`) to its
/// end with stdout and stderr together: for tools a test calls once (systemd-analyze, nginx -t,
/// openssl, curl), not for services (``ChildProcess``).
public func runToCompletion(_ executable: String, _ arguments: [String], in folder: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    if executable.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
