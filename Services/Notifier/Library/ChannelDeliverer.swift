import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardCrypto
import SwitchboardDomain
import SwitchboardRuntime

/// Delivers one user notification over one channel: signed webhook, Slack-compatible webhook,
/// or a JSON-lines file.
struct ChannelDeliverer: Sendable {
    let poster: HTTPPoster
    /// Signs webhooks; nil leaves webhook deliveries dead-lettered with the reason.
    let webhookSecret: String?
    let files: FileAppender
    /// The time of day a `Retry-After` is counted from.
    let clock: any WallClock

    /// The JSON a receiver gets (webhook body, file line).
    struct Payload: JSONWritable, Sendable {
        var deliveryId: String
        var notification: UserNotification

        func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("deliveryId", deliveryId)
            writer.member("notification", notification)
            writer.endObject()
        }
    }

    /// The attempt on a channel that needs no network (a file line), made on the caller's
    /// thread; nil for the others.
    func deliverLocally(_ delivery: NotifierStore.DueDelivery, _ notification: UserNotification) -> AttemptResult? {
        guard delivery.channel == "file" else { return nil }
        return appendLine(delivery, Payload(deliveryId: delivery.id, notification: notification).jsonBytes)
    }

    private func appendLine(_ delivery: NotifierStore.DueDelivery, _ body: [UInt8]) -> AttemptResult {
        guard let path = delivery.target else { return .permanent(status: nil, error: "file channel without a path") }
        do {
            try files.append(line: body + [0x0A], to: path)
            return .success(status: nil)
        } catch {
            return .transient(status: nil, error: "cannot append to \(path): \(error)", retryAfter: nil)
        }
    }

    func deliver(_ delivery: NotifierStore.DueDelivery, _ notification: UserNotification, now: Date) async -> AttemptResult {
        let body = Payload(deliveryId: delivery.id, notification: notification).jsonBytes
        switch delivery.channel {
        case "webhook":
            guard let secret = webhookSecret else { return .permanent(status: nil, error: "no webhook-secret configured to sign webhooks") }
            guard let url = delivery.target.flatMap(URL.init(string:)) else { return .permanent(status: nil, error: "invalid webhook url") }
            let timestamp = String(Int(now.timeIntervalSince1970))
            let signature = Hex.encode(HMAC.authenticationCode(.sha256, key: Array(secret.utf8), message: Array((timestamp + ".").utf8) + body))
            let headers = [
                "Content-Type": "application/json",
                "X-Switchboard-Timestamp": timestamp,
                "X-Switchboard-Signature": "sha256=\(signature)",
                "X-Switchboard-Delivery-Id": delivery.id,
            ]
            return AttemptResult(await poster.send("POST", url, headers: headers, body: Data(body)), now: clock.now)
        case "slack":
            guard let url = delivery.target.flatMap(URL.init(string:)) else { return .permanent(status: nil, error: "invalid slack url") }
            let text = (try? WireJSON.encode(["text": NotificationText.slack(notification)])) ?? []
            return AttemptResult(await poster.send("POST", url, headers: ["Content-Type": "application/json"], body: Data(text)), now: clock.now)
        case "file":
            return appendLine(delivery, body)
        default:
            return .permanent(status: nil, error: "unknown channel \(delivery.channel)")
        }
    }
}

/// How one attempt went, before retry policy is applied.
enum AttemptResult: Sendable {
    /// Done; `note` says what the attempt decided besides (a CRM owner kept).
    case success(status: Int?, note: String? = nil)
    case transient(status: Int?, error: String, retryAfter: Date?)
    /// Flow control (429): wait, without counting an attempt.
    case throttled(until: Date)
    case permanent(status: Int?, error: String)
    case skip(String)

    /// Classifies an HTTP answer: 2xx delivered; 408, 429 and 5xx retried; other 4xx dead.
    init(_ result: HTTPPoster.Result, now: Date) {
        switch result {
        case .failed(let reason):
            self = .transient(status: nil, error: reason, retryAfter: nil)
        case .answered(let status, let headers, let body):
            let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
            switch status {
            case 200..<300: self = .success(status: status)
            case 429: self = .throttled(until: RateLimitHeaders.resume(headers, now: now))
            case 408, 500...: self = .transient(status: status, error: "HTTP \(status): \(excerpt)", retryAfter: nil)
            default: self = .permanent(status: status, error: "HTTP \(status): \(excerpt)")
            }
        }
    }
}

/// Reads how long to wait after a 429 (`Retry-After`, or GoHighLevel's `X-RateLimit-*`).
enum RateLimitHeaders {
    /// When to try again after a 429. GoHighLevel's daily quota (`X-RateLimit-Daily-Remaining: 0`)
    /// lasts until the next day: without a `Retry-After`, the wait runs to the next UTC midnight
    /// rather than retrying every few seconds into a closed quota.
    static func resume(_ headers: [String: String], now: Date) -> Date {
        if headers["retry-after"].flatMap(Double.init) == nil, headers["x-ratelimit-daily-remaining"].flatMap(Int.init) == 0 {
            let day = 86_400.0
            return Date(timeIntervalSince1970: (floor(now.timeIntervalSince1970 / day) + 1) * day)
        }
        return now.addingTimeInterval(wait(headers) ?? 10)
    }

    static func wait(_ headers: [String: String]) -> Double? {
        if let retryAfter = headers["retry-after"].flatMap(Double.init) { return retryAfter }
        if let interval = headers["x-ratelimit-interval-milliseconds"].flatMap(Double.init) {
            let remaining = headers["x-ratelimit-remaining"].flatMap(Int.init) ?? 0
            return remaining > 0 ? 0.1 : interval / 1000
        }
        return nil
    }
}

/// Appends lines to files, one writer per path at a time.
final class FileAppender: Sendable {
    private let lock = Mutex<Void>(())

    func append(line: [UInt8], to path: String) throws {
        try lock.withLock { _ in
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            defer { close(descriptor) }
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        }
    }
}
