public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// fd 3 carries commands in, fd 4 answers out, each message JSON ended by a NUL byte), so a test
/// can click through real pages without a WebSocket client or any package.
///
/// One page (target) per browser; every wait is bounded. The browser runs in a process group of
/// its own, so ``close()`` (or deinit) kills it with every helper process it started.
public final class HeadlessChromium: @unchecked Sendable {
    // @unchecked: the pipe descriptors are written under `writeLock`; answers arrive on one
    // reader thread into a Mutex.
    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let writeLock = NSLock()
    /// Answers by command id, as the bytes that arrived (parsed by the waiting caller), and how
    /// many pages have finished loading (`Page.loadEventFired`), shared with the reader thread.
    private final class Mailbox: @unchecked Sendable {
        // @unchecked: NSCondition is thread-safe; the state lives in a Mutex.
        let state = Mutex<(nextID: Int, replies: [Int: Data], loads: Int, closed: Bool)>((1, [:], 0, false))
        let arrived = NSCondition()
    }

    private let mailbox = Mailbox()
    private var arrived: NSCondition { mailbox.arrived }
    private var session: String?
    private let profile: String

    /// Whether a `chromium` binary is on the PATH (`.ci/run` installs one).
    public static var isInstalled: Bool { executablePath() != nil }

    static func executablePath() -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(folder)/chromium"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts the browser with one blank page of `width`×`height` CSS pixels.
    public init(width: Int = 1200, height: Int = 900) throws {
        guard let binary = Self.executablePath() else { throw TestFailure("chromium is not installed") }
        profile = NSTemporaryDirectory() + "switchboard-chromium-" + UUID().uuidString
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw TestFailure("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own (killed whole), and no signal blocked that the test runner blocks.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        let arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--remote-debugging-pipe",
            "--user-data-dir=\(profile)", "--window-size=\(width),\(height)", "about:blank",
        ]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, binary, &actions, &attributes, &argv, environ)
        Glibc.close(toBrowser[0])
        Glibc.close(fromBrowser[1])
        guard status == 0 else { throw TestFailure("posix_spawn chromium failed: \(status)") }
        pid = child
        commands = toBrowser[1]
        answers = fromBrowser[0]
        // The reader holds the pipe and the mailbox, not the browser object, so deinit can run.
        Thread { [answers, mailbox] in Self.readAnswers(from: answers, into: mailbox) }.start()
    }

    private let closed = Mutex(false)

    /// Kills the browser and its helpers and removes its profile; later calls do nothing.
    public func close() {
        guard closed.withLock({ done in
            defer { done = true }
            return !done
        }) else { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(commands)
        try? FileManager.default.removeItem(atPath: profile)
    }

    deinit { close() }

    /// Opens a page target and attaches to it; later commands go to that page.
    public func openPage() throws {
        let target = try send("Target.createTarget", ["url": "about:blank"], toPage: false)
        guard let targetID = target["targetId"] as? String else { throw TestFailure("no target id in \(target)") }
        let attached = try send("Target.attachToTarget", ["targetId": targetID, "flatten": true], toPage: false)
        guard let sessionID = attached["sessionId"] as? String else { throw TestFailure("no session id in \(attached)") }
        session = sessionID
        _ = try send("Page.enable")
        _ = try send("Runtime.enable")
    }

    /// Sends one protocol command and waits (at most `timeout` s) for its result.
    @discardableResult
    public func send(_ method: String, _ parameters: [String: Any] = [:], toPage: Bool = true, timeout: Double = 30) throws -> [String: Any] {
        let id = mailbox.state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if toPage, let session { message["sessionId"] = session }
        var bytes = Array(try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        writeLock.lock()
        defer { writeLock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw TestFailure("chromium closed its command pipe") }
            offset += written
        }
        let deadline = Date().addingTimeInterval(timeout)
        arrived.lock()
        defer { arrived.unlock() }
        while true {
            if let bytes = mailbox.state.withLock({ $0.replies.removeValue(forKey: id) }) {
                let reply = (try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]) ?? [:]
                if let error = reply["error"] { throw TestFailure("\(method) failed: \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            if mailbox.state.withLock({ $0.closed }) { throw TestFailure("chromium exited") }
            guard arrived.wait(until: deadline) else { throw TestFailure("\(method) had no answer within \(timeout) s") }
        }
    }

    /// Evaluates `expression` in the page and answers its value (awaiting a promise).
    public func evaluate(_ expression: String) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] { throw TestFailure("script failed: \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Navigates and waits until the new document has loaded.
    public func navigate(_ url: String) throws {
        let loaded = mailbox.state.withLock { $0.loads }
        _ = try send("Page.navigate", ["url": url])
        try waitForLoad(after: loaded, doing: "loading \(url)")
    }

    /// Clicks what `selector` finds (a submit button, a link), then waits until the page it
    /// leads to has loaded.
    public func clickAndWait(_ selector: String) throws {
        let loaded = mailbox.state.withLock { $0.loads }
        let clicked = try evaluate("(() => { const e = document.querySelector(\(Self.quoted(selector))); if (!e) return false; e.click(); return true })()")
        guard clicked as? Bool == true else { throw TestFailure("nothing matches \(selector)") }
        try waitForLoad(after: loaded, doing: "clicking \(selector)")
    }

    /// Waits (at most 30 s) for a `Page.loadEventFired` beyond the `loaded` seen before.
    private func waitForLoad(after loaded: Int, doing action: String) throws {
        let deadline = Date().addingTimeInterval(30)
        arrived.lock()
        defer { arrived.unlock() }
        while mailbox.state.withLock({ $0.loads }) == loaded {
            if mailbox.state.withLock({ $0.closed }) { throw TestFailure("chromium exited") }
            guard arrived.wait(until: deadline) else { throw TestFailure("no page loaded within 30 s after \(action)") }
        }
    }

    /// Sets a form field's value as typing would (and fires `input`/`change`).
    public func fill(_ selector: String, _ value: String) throws {
        let done = try evaluate("""
            (() => { const e = document.querySelector(\(Self.quoted(selector))); if (!e) return false;
              e.value = \(Self.quoted(value)); e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true })()
            """)
        guard done as? Bool == true else { throw TestFailure("no field matches \(selector)") }
    }

    public func text(_ selector: String = "body") throws -> String {
        (try evaluate("(document.querySelector(\(Self.quoted(selector))) || {innerText: ''}).innerText") as? String) ?? ""
    }

    public var location: String { ((try? evaluate("location.href")) as? String) ?? "" }

    /// A PNG of the whole page at `width` CSS pixels (`mobile`: a phone's viewport and scaling).
    public func screenshot(width: Int = 1200, mobile: Bool = false) throws -> Data {
        let height = (try evaluate("Math.ceil(document.documentElement.scrollHeight)") as? Int) ?? 900
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": max(height, 600), "deviceScaleFactor": 1, "mobile": mobile])
        let measured = (try evaluate("Math.ceil(document.documentElement.scrollHeight)") as? Int) ?? height
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": max(measured, 600), "deviceScaleFactor": 1, "mobile": mobile])
        let result = try send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        _ = try send("Emulation.clearDeviceMetricsOverride")
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else { throw TestFailure("no screenshot data") }
        return data
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
    }

    private static func readAnswers(from answers: Int32, into mailbox: Mailbox) {
        let arrived = mailbox.arrived
        defer { Glibc.close(answers) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            pending += chunk[0..<count]
            while let end = pending.firstIndex(of: 0) {
                let message = Array(pending[..<end])
                pending.removeSubrange(...end)
                guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else { continue }
                if let id = object["id"] as? Int {
                    mailbox.state.withLock { $0.replies[id] = Data(message) }
                } else if object["method"] as? String == "Page.loadEventFired" {
                    mailbox.state.withLock { $0.loads += 1 }
                } else {
                    continue
                }
                arrived.lock()
                arrived.broadcast()
                arrived.unlock()
            }
        }
        mailbox.state.withLock { $0.closed = true }
        arrived.lock()
        arrived.broadcast()
        arrived.unlock()
    }
}
