import Foundation
import Synchronization

/// Counters, gauges and latency histograms for one process, rendered as Prometheus text
/// (`/metrics`) and as the body of the `metrics` op.
///
/// Thread-safe: all state sits behind one `Mutex`. Each update is a dictionary lookup under it,
/// cheap enough for the per-message path.
public final class MetricsRegistry: Sendable {
    /// Upper bounds (seconds) of latency buckets: 50 µs to 10 s.
    public static let latencyBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
    ]

    /// A series is kept by its labels as given and rendered only when scraped: rendering them
    /// (an array, a sort, a string built) on every update was most of what an update cost.
    private struct Series: Hashable {
        var name: String
        var labels: [String: String]

        var rendered: String { MetricsRegistry.render(labels) }
    }

    private struct Histogram {
        var bucketCounts = [Int](repeating: 0, count: MetricsRegistry.latencyBuckets.count)
        var count = 0
        var sum = 0.0

        mutating func record(_ seconds: Double, bucket: Int?) {
            if let bucket { bucketCounts[bucket] += 1 }
            count += 1
            sum += seconds
        }
    }

    private struct State {
        var counters: [Series: Int] = [:]
        var gauges: [Series: Double] = [:]
        var histograms: [Series: Histogram] = [:]
        var help: [String: String] = [:]
    }

    private let state = Mutex(State())
    /// Read just before each rendering: gauges of what a store holds (queue depths, dead
    /// letters, open contacts), computed when scraped rather than kept up to date per event.
    private let collectors = Mutex<[@Sendable () async -> Void]>([])

    public init() {}

    /// Adds `amount` to a counter.
    public func increment(_ name: String, labels: [String: String] = [:], by amount: Int = 1) {
        let series = Series(name: name, labels: labels)
        state.withLock { $0.counters[series, default: 0] += amount }
    }

    public func setGauge(_ name: String, labels: [String: String] = [:], to value: Double) {
        let series = Series(name: name, labels: labels)
        state.withLock { $0.gauges[series] = value }
    }

    /// Records one duration, in seconds.
    public func observe(_ name: String, labels: [String: String] = [:], seconds: Double) {
        let series = Series(name: name, labels: labels)
        let bucket = Self.latencyBuckets.firstIndex { seconds <= $0 }
        state.withLock { state in
            // In place: a copy out and back would copy the bucket array on every request.
            state.histograms[series, default: Histogram()].record(seconds, bucket: bucket)
        }
    }

    /// Adds a collector that sets gauges from current state; ``refresh()`` runs them.
    public func collect(_ collector: @escaping @Sendable () async -> Void) {
        collectors.withLock { $0.append(collector) }
    }

    /// Runs every collector (before `/metrics` renders).
    public func refresh() async {
        for collector in collectors.withLock({ $0 }) { await collector() }
    }

    /// Sets the `# HELP` text of a metric (else ``MetricsCatalogue`` gives it).
    public func describe(_ name: String, _ help: String) {
        state.withLock { $0.help[name] = help }
    }

    /// The current value of a counter (0 when never incremented).
    public func counter(_ name: String, labels: [String: String] = [:]) -> Int {
        let series = Series(name: name, labels: labels)
        return state.withLock { $0.counters[series] ?? 0 }
    }

    /// The Prometheus text exposition format, version 0.0.4.
    public func prometheusText() -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        func header(_ name: String, _ type: String) {
            if let help = snapshot.help[name] ?? MetricsCatalogue.help[name] { lines.append("# HELP \(name) \(help)") }
            lines.append("# TYPE \(name) \(type)")
        }
        for name in Set(snapshot.counters.keys.map(\.name)).sorted() {
            header(name, "counter")
            for (series, value) in snapshot.counters.filter({ $0.key.name == name }).sorted(by: { $0.key.rendered < $1.key.rendered }) {
                lines.append("\(name)\(Self.braced(series.rendered)) \(value)")
            }
        }
        for name in Set(snapshot.gauges.keys.map(\.name)).sorted() {
            header(name, "gauge")
            for (series, value) in snapshot.gauges.filter({ $0.key.name == name }).sorted(by: { $0.key.rendered < $1.key.rendered }) {
                lines.append("\(name)\(Self.braced(series.rendered)) \(value)")
            }
        }
        for name in Set(snapshot.histograms.keys.map(\.name)).sorted() {
            header(name, "histogram")
            for (series, histogram) in snapshot.histograms.filter({ $0.key.name == name }).sorted(by: { $0.key.rendered < $1.key.rendered }) {
                var cumulative = 0
                for (index, bound) in Self.latencyBuckets.enumerated() {
                    cumulative += histogram.bucketCounts[index]
                    lines.append("\(name)_bucket\(Self.braced(Self.joined(series.rendered, "le=\"\(bound)\""))) \(cumulative)")
                }
                lines.append("\(name)_bucket\(Self.braced(Self.joined(series.rendered, "le=\"+Inf\""))) \(histogram.count)")
                lines.append("\(name)_sum\(Self.braced(series.rendered)) \(histogram.sum)")
                lines.append("\(name)_count\(Self.braced(series.rendered)) \(histogram.count)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON-friendly snapshot for the `metrics` op: counters and gauges by series, histograms
    /// with count, sum and estimated p50/p99 (bucket upper bounds).
    public func snapshot() -> MetricsSnapshot {
        let state = state.withLock { $0 }
        var snapshot = MetricsSnapshot()
        for (series, value) in state.counters { snapshot.counters[series.name + Self.braced(series.rendered)] = value }
        for (series, value) in state.gauges { snapshot.gauges[series.name + Self.braced(series.rendered)] = value }
        for (series, histogram) in state.histograms {
            snapshot.histograms[series.name + Self.braced(series.rendered)] = MetricsSnapshot.Summary(
                count: histogram.count, sum: histogram.sum,
                p50: Self.quantile(0.5, histogram), p99: Self.quantile(0.99, histogram))
        }
        return snapshot
    }

    private static func quantile(_ q: Double, _ histogram: Histogram) -> Double? {
        guard histogram.count > 0 else { return nil }
        let rank = Int((Double(histogram.count) * q).rounded(.up))
        var cumulative = 0
        for (index, count) in histogram.bucketCounts.enumerated() {
            cumulative += count
            if cumulative >= rank { return latencyBuckets[index] }
        }
        return latencyBuckets.last
    }

    fileprivate static func render(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        var rendered = ""
        for (key, value) in labels.count == 1 ? Array(labels) : labels.sorted(by: { $0.key < $1.key }) {
            if !rendered.isEmpty { rendered += "," }
            rendered += key
            rendered += "=\""
            rendered += escapeLabel(value)
            rendered += "\""
        }
        return rendered
    }

    /// Escapes `\\`, `"` and newlines as the exposition format requires.
    private static func escapeLabel(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    private static func joined(_ labels: String, _ extra: String) -> String {
        labels.isEmpty ? extra : labels + "," + extra
    }

    private static func braced(_ labels: String) -> String {
        labels.isEmpty ? "" : "{\(labels)}"
    }
}

/// The body of the `metrics` op.
public struct MetricsSnapshot: Codable, Sendable, Equatable {
    public struct Summary: Codable, Sendable, Equatable {
        public var count: Int
        public var sum: Double
        public var p50: Double?
        public var p99: Double?

        enum CodingKeys: String, CodingKey { case count, sum, p50, p99 }
    }

    public var counters: [String: Int] = [:]
    public var gauges: [String: Double] = [:]
    public var histograms: [String: Summary] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey { case counters, gauges, histograms }
}
