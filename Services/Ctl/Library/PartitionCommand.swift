import Foundation
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet

/// `switchboardctl partition show | move`: which router instance owns each location, and
/// moving one (docs/scaling.md).
///
/// A move loses nothing and decides nothing twice:
/// 1. `router.hold` on the source: it refuses the location's new events (retryable, so senders
///    keep them) and returns once everything accepted before is committed;
/// 2. the target clears what an earlier move cut short (`router.import_begin`), then every row
///    is copied, page by page as the source pages its tables (`router.export` → `router.import`),
///    message ids included, so a message retried after the move is answered as before;
/// 3. `router.import_done`: the target routes the location;
/// 4. the partition file is rewritten (atomically) with the location pinned to the target;
///    every service reads it again within a second;
/// 5. `router.drop` on the source: it deletes the rows and answers the location's events
///    "moved" (retryable) for senders that have not read the file yet.
/// A failure before step 4 gives the move up (`router.import_abort` on the target,
/// `router.unhold` on the source): the source routes as before.
enum PartitionCommand {
    static func run(_ arguments: CtlCommand.Arguments) async throws -> Int32 {
        guard let path = arguments.options["partitions"] ?? ProcessInfo.processInfo.environment["SWITCHBOARD_PARTITIONS"] else {
            throw CtlCommand.UsageError("partition commands need --partitions FILE (or SWITCHBOARD_PARTITIONS)")
        }
        var template = LineClientOptions(host: "127.0.0.1", port: 1)
        template.token = try CtlCommand.token(arguments)
        template.clientName = "switchboardctl"
        template.requestTimeout = 120
        let ring = try RouterRing(partitionFile: path, template: template)
        defer { ring.close() }
        switch arguments.words.dropFirst().first {
        case "show":
            struct Listed: Decodable { var locations: [LocationSummary] }
            let map = ring.map
            for (name, client) in ring.all {
                for location in try await client.call("router.locations", EmptyBody(), as: Listed.self).locations {
                    let owner = map.owner(of: location.id)
                    let how = map.locations[location.id] != nil ? "pinned" : "hashed"
                    print("\(location.id)\t\(name)\t\(how)\(owner == name ? "" : "\tWARNING: the file gives it to \(owner)")")
                }
            }
            return 0
        case "move":
            guard let location = arguments.words.dropFirst(2).first, let target = arguments.options["to"] else {
                throw CtlCommand.UsageError("partition move LOCATION --to INSTANCE --partitions FILE")
            }
            let moved = try await move(location, to: target, ring: ring, path: path)
            print("moved \(location) from \(moved.source) to \(target): \(moved.rows) rows")
            return 0
        default:
            throw CtlCommand.UsageError("partition show | partition move LOCATION --to INSTANCE (with --partitions FILE)")
        }
    }

    static func move(_ location: String, to target: String, ring: RouterRing, path: String) async throws -> (source: String, rows: Int) {
        let map = ring.map
        guard map.routers[target] != nil else { throw CtlError("no router instance \(target) in \(path) (\(map.names.joined(separator: ", ")))") }
        let source = map.owner(of: location)
        guard source != target else { throw CtlError("\(location) already belongs to \(target)") }
        let from = ring.client(named: source)
        let to = ring.client(named: target)
        _ = try await from.call("router.hold", LocationRequest(location: location), as: JSONValue.self)
        var rows = 0
        do {
            _ = try await to.call("router.import_begin", LocationRequest(location: location), as: JSONValue.self)
            // The source pages through its tables and says where the next page starts.
            var cursor = JSONValue.null
            repeat {
                let page = try await from.call("router.export", ["location": .string(location), "from": cursor] as [String: JSONValue], as: JSONValue.self)
                let count = page["rows"]?.arrayValue?.count ?? 0
                if count > 0 { _ = try await to.call("router.import", page, as: JSONValue.self) }
                rows += count
                cursor = page["next"] ?? .null
            } while cursor != .null
            _ = try await to.call("router.import_done", LocationRequest(location: location), as: JSONValue.self)
        } catch {
            _ = try? await to.call("router.import_abort", LocationRequest(location: location), as: JSONValue.self)
            _ = try? await from.call("router.unhold", LocationRequest(location: location), as: JSONValue.self)
            throw CtlError("the move of \(location) was given up, \(source) routes it as before: \(error)")
        }
        var updated = map
        updated.locations[location] = target
        try write(updated, to: path)
        try ring.reload()
        _ = try await from.call("router.drop", ["location": location, "to": target], as: JSONValue.self)
        return (source, rows)
    }

    /// Writes the file whole or not at all (`.atomic`: a temporary file renamed over it).
    static func write(_ map: PartitionMap, to path: String) throws {
        try Data(try WireJSON.prettyEncoder.encode(map)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
