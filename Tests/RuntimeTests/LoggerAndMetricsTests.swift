import Foundation
import Testing
@testable import SwitchboardRuntime

@Suite struct LoggerAndMetricsTests {
    @Test func quotesValuesWithSpacesQuotesOrControlCharacters() {
        #expect(Logger.quoted("plain") == "plain")
        #expect(Logger.quoted("two words") == "\"two words\"")
        #expect(Logger.quoted("a=\"b\"\n") == "\"a=\\\"b\\\"\\n\"")
        #expect(Logger.quoted("") == "\"\"")
    }

    @Test func writesOneKeyValueLinePerEventAtOrAboveTheLevel() throws {
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        let logger = Logger(service: "test", minimumLevel: .info, descriptor: pipe[1])
        logger.debug("hidden")
        logger.info("listening", ["port": 7100, "note": "hello world"])
        close(pipe[1])
        let text = String(decoding: FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasPrefix("ts="))
        #expect(text.hasSuffix("level=info service=test event=listening port=7100 note=\"hello world\"\n"))
        #expect(!text.contains("hidden"))
    }

    @Test func rendersCountersGaugesAndHistogramsAsPrometheusText() {
        let metrics = MetricsRegistry()
        metrics.describe("requests_total", "Requests served.")
        metrics.increment("requests_total", labels: ["op": "a\"b"])
        metrics.increment("requests_total", labels: ["op": "a\"b"], by: 2)
        metrics.setGauge("queue_depth", to: 4)
        metrics.observe("latency_seconds", seconds: 0.0003)
        metrics.observe("latency_seconds", seconds: 20)
        let text = metrics.prometheusText()
        #expect(text.contains("# HELP requests_total Requests served.\n# TYPE requests_total counter\nrequests_total{op=\"a\\\"b\"} 3\n"))
        #expect(text.contains("queue_depth 4.0"))
        #expect(text.contains("latency_seconds_bucket{le=\"0.0005\"} 1"))
        #expect(text.contains("latency_seconds_bucket{le=\"+Inf\"} 2"))
        #expect(text.contains("latency_seconds_count 2"))
        let snapshot = metrics.snapshot()
        #expect(snapshot.counters["requests_total{op=\"a\\\"b\"}"] == 3)
        #expect(snapshot.histograms["latency_seconds"]?.p50 == 0.0005)
    }
}
