public import Foundation

/// Files of `../shared` (the specification, payload samples, scenarios) beside the repository.
public enum SharedFiles {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relativePath: String) -> URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// Every scenario file: the reference ones of `../shared/scenarios`, then the repository's
    /// own (`scenarios/`, the paths `ROUTING.md` leaves to `docs/routing.md`), as full paths.
    public static func scenarioFiles() throws -> [String] {
        try [url("scenarios"), repositoryRoot.appendingPathComponent("scenarios")].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
                .map { folder.appendingPathComponent($0).path }
        }
    }
}
