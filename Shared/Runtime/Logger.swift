#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SwitchboardCodec

/// Structured logs: one `key=value` line per event on stderr (DESIGN.md, "What every service has").
///
/// Each line is written with a single `write(2)`, so lines from different threads never
/// interleave. Secrets and message bodies never belong in fields at `info` or above.
///
/// ```swift
/// let log = Logger(service: "router")
/// log.info("listening", ["port": 7102])
/// // ts=2026-11-28T17:00:00.125Z level=info service=router event=listening port=7102
/// ```
public struct Logger: Sendable {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public let service: String
    public var minimumLevel: Level
    private let descriptor: Int32

    /// - Parameter descriptor: where lines go; stderr unless a test captures them.
    public init(service: String, minimumLevel: Level = .info, descriptor: Int32 = 2) {
        self.service = service
        self.minimumLevel = minimumLevel
        self.descriptor = descriptor
    }

    public func debug(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) { log(.debug, event, fields) }
    public func info(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) { log(.info, event, fields) }
    public func warning(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) { log(.warning, event, fields) }
    public func error(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) { log(.error, event, fields) }

    public func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, any Sendable>) {
        guard level >= minimumLevel else { return }
        var line = "ts=\(RFC3339.format(Date())) level=\(level) service=\(service) event=\(Logger.quoted(event))"
        for (key, value) in fields {
            line += " \(key)=\(Logger.quoted(String(describing: value)))"
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { pointer in
            _ = write(descriptor, pointer.baseAddress, pointer.count)
        }
    }

    /// Quotes a value that contains spaces, quotes, `=` or control characters.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 { escaped += "\\u{\(String(scalar.value, radix: 16))}" } else { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped + "\""
    }
}
