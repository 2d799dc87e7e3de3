import Foundation

/// `switchboard-bench`: benchmarks that print figures (never timed tests).
///
/// `switchboard-bench foundation [--seconds N]` measures the shared layer: codec throughput,
/// line round trips over loopback (one in flight and 64 in flight) and store commits (NORMAL,
/// one at a time; FULL, 64 concurrent writers under group commit). Build with `-c release`.
enum BenchCommand {
    static func main(_ arguments: [String]) async -> Int32 {
        guard let suite = arguments.first, suite != "--help" else {
            print("usage: switchboard-bench foundation|codec|lines|store|directory|notifier|adapters|router|simulate [--seconds N]")
            return arguments.first == "--help" ? 0 : 64
        }
        var seconds = 3.0
        if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let value = Double(arguments[index + 1]) {
            seconds = value
        }
        switch suite {
        case "foundation", "codec", "lines", "store":
            do {
                try await FoundationBenchmarks(seconds: seconds).run(only: suite == "foundation" ? nil : suite)
                return 0
            } catch {
                FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
                return 1
            }
        case "directory", "notifier", "adapters", "router", "simulate":
            do {
                switch suite {
                case "directory": try await DirectoryBenchmark(seconds: seconds).run()
                case "notifier": try await NotifierBenchmark(seconds: seconds).run()
                case "router": try await RouterBenchmark(seconds: seconds).run()
                case "simulate": try await SimulateBenchmark().run()
                default: try await AdaptersBenchmark(seconds: seconds).run()
                }
                return 0
            } catch {
                FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
                return 1
            }
        default:
            FileHandle.standardError.write(Data("unknown benchmark suite \(suite)\n".utf8))
            return 64
        }
    }
}

/// Prints one aligned result line.
func report(_ name: String, _ value: Double, _ unit: String, target: Double? = nil) {
    let figure = String(format: "%12.0f", value)
    let verdict = target.map { value >= $0 ? "  (target ≥ \(Int($0)): met)" : "  (target ≥ \(Int($0)): NOT met)" } ?? ""
    print("\(name.padding(toLength: 58, withPad: " ", startingAt: 0)) \(figure) \(unit)\(verdict)")
}

/// A fresh temporary folder for one benchmark's databases, removed by the caller's `defer`.
func benchmarkFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
