import Foundation
import SwitchboardCodec

/// Which router instance owns which location (DESIGN.md: the router is partitioned by location;
/// each instance owns the locations that hash to it, and no state is shared between them).
///
/// The file every service and `switchboardctl` read (`partitions` setting):
/// ```json
/// {"routers": {"r1": "10.0.0.11:7102", "r2": "10.0.0.12:7102"}, "locations": {"loc_big": "r2"}}
/// ```
/// A location named in `locations` belongs to that instance; any other to the instance that
/// wins rendezvous hashing (FNV-1a of `name|location` through MurmurHash3's 64-bit finalizer,
/// highest wins; FNV-1a alone mixes too little: six similar location ids all went to one of
/// three instances). Rendezvous hashing is
/// stable: adding an instance moves only the locations it wins (about 1/N), removing one moves
/// only its own, and every reader computes the same owner with nothing shared. A location is
/// moved deliberately by `switchboardctl partition move`, which pins it in `locations`.
public struct PartitionMap: Codable, Sendable, Equatable {
    /// Instance name → `host:port` of its line port.
    public var routers: [String: String]
    /// Explicit owners, which win over the hash.
    public var locations: [String: String]

    public init(routers: [String: String], locations: [String: String] = [:]) {
        self.routers = routers
        self.locations = locations
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case routers, locations }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        // A misspelled key must not pass silently (a location pinned under "location" would
        // quietly stay where the hash puts it).
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            throw PartitionMapError("unknown key \"\(key.stringValue)\" (a partition file has routers and locations)")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        routers = try container.decode([String: String].self, forKey: .routers)
        locations = try container.decodeIfPresent([String: String].self, forKey: .locations) ?? [:]
    }

    /// Reads and checks a partition file.
    public static func load(path: String) throws -> PartitionMap {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PartitionMapError("cannot read the partition file \(path): \(error.localizedDescription)")
        }
        let map: PartitionMap
        do {
            map = try WireJSON.decode(PartitionMap.self, from: Array(data))
        } catch {
            throw PartitionMapError("\(path): \(error)")
        }
        try map.validate()
        return map
    }

    /// At least one instance, every address `host:port`, every pinned location on a known instance.
    public func validate() throws {
        guard !routers.isEmpty else { throw PartitionMapError("routers: at least one router instance is needed") }
        for (name, address) in routers.sorted(by: { $0.key < $1.key }) where Self.hostPort(address) == nil {
            throw PartitionMapError("routers.\(name): \"\(address)\" is not host:port")
        }
        for (location, name) in locations.sorted(by: { $0.key < $1.key }) where routers[name] == nil {
            throw PartitionMapError("locations.\(location): no router instance named \"\(name)\"")
        }
    }

    /// The instance that owns `location`.
    public func owner(of location: String) -> String {
        if let pinned = locations[location], routers[pinned] != nil { return pinned }
        return routers.keys.max { (Self.score($0, location), $1) < (Self.score($1, location), $0) } ?? ""
    }

    /// `owner(of:)`'s address.
    public func address(of location: String) -> (host: String, port: UInt16)? {
        routers[owner(of: location)].flatMap(Self.hostPort)
    }

    /// The instances in name order.
    public var names: [String] { routers.keys.sorted() }

    /// FNV-1a, 64 bits, of `name|location`, then MurmurHash3's `fmix64`: fixed across
    /// processes, builds and machines (unlike Swift's seeded `Hasher`), and well mixed.
    static func score(_ name: String, _ location: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (name + "|" + location).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }

    static func hostPort(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0 else { return nil }
        let host = String(text[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// A partition file that cannot be used, said plainly.
public struct PartitionMapError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
