import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardCtl
import SwitchboardDomain
import SwitchboardNet
import SwitchboardOperations
import SwitchboardTestSupport
import Testing

/// The mesh beyond one router (docs/scaling.md): two adapters instances, three router instances
/// partitioned by location, one directory and one notifier, all real processes on loopback.
@Suite(.serialized) struct PartitionedMeshTests {
    static let locations = 6

    /// One location: an SMS line routed round robin among three users.
    static func config(_ index: Int) -> String {
        """
        {"version": 1, "location": {"id": "loc_p\(index)", "name": "Partition \(index)", "timezone": "UTC", "admins": []},
         "users": [{"id": "u\(index)_a"}, {"id": "u\(index)_b"}, {"id": "u\(index)_c"}],
         "teams": [{"id": "t", "name": "T", "members": ["u\(index)_a", "u\(index)_b", "u\(index)_c"]}],
         "accounts": [{"id": "sms", "name": "SMS", "platform": "twilio", "address": "+1555770\(String(format: "%04d", index))",
                       "assignment": {"target": {"team": "t", "mode": "round_robin"}}}]}
        """
    }

    /// Starts the mesh and applies every location to its own router instance, registering the
    /// lines on every adapters instance.
    static func start(_ folder: TemporaryDirectory, layout: Mesh.Layout) async throws -> Mesh {
        let binaries = try BuildProducts.executable("switchboardctl").deletingLastPathComponent()
        let mesh = try Mesh(binaries: binaries, stateFolder: folder.file("state"), testClock: false, layout: layout)
        do {
            for index in 0..<locations {
                let (config, raw) = try ConfigApplier.load(Array(Self.config(index).utf8))
                try await ConfigApplier.apply(config, raw: raw, directory: mesh.directoryClient, router: mesh.routers.client(for: config.location.id))
                for client in mesh.adaptersClients {
                    _ = try await client.call("adapters.put_channel", ["channel": AdapterChannelFactory.channel(for: config.accounts[0])], as: JSONValue.self)
                }
            }
        } catch {
            mesh.stop()
            throw error
        }
        return mesh
    }

    struct Found: Decodable {
        struct Record: Decodable { var event: String; enum CodingKeys: String, CodingKey { case event } }
        var history: [Record]
        enum CodingKeys: String, CodingKey { case history }
    }

    /// Decisions the contact's location's router holds for it (nil: it knows no such contact).
    static func decisions(_ mesh: Mesh, location: String, contact: String, on client: LineClient? = nil) async throws -> Int? {
        do {
            let found = try await (client ?? mesh.routers.client(for: location)).call("router.contact", ["location": location, "contact": contact], as: Found.self)
            return found.history.filter { $0.event == "inbound" }.count
        } catch let error as WireError where error.code == .notFound {
            return nil
        }
    }

    final class Sent: Sendable { let count = Atomic<Int>(0) }

    /// Contact `index` writes to its location's line, through one adapters instance (every
    /// tenth, through both: a load balancer's retry on the other instance).
    static func send(_ index: Int, mesh: Mesh) async throws {
        let factory = WebhookFactory(secrets: mesh.secrets, publicBaseURL: "http://127.0.0.1")
        let request = factory.inbound(
            platform: .twilio, from: "+1556\(String(format: "%07d", index))", to: "+1555770\(String(format: "%04d", index % locations))",
            text: "hello \(index)", name: nil, id: "SMpart\(index)", source: nil, at: Date())
        for port in index % 10 == 0 ? mesh.webhookPorts : [mesh.webhookPorts[index % 2]] {
            // 200: committed to that instance's inbox.
            let status = try await WebhookPoster.post(port: port, request)
            #expect(status == 200)
        }
    }

    /// 600 contacts over six locations, sent alternately to the two adapters; every tenth
    /// webhook also to the other adapters instance (a load balancer's retry); router `r2`
    /// killed with SIGKILL halfway and restarted. Every contact is decided exactly once, by its
    /// location's router alone.
    @Test(.timeLimit(.minutes(3)))
    func twoAdaptersThreeRoutersOneKilledLoseNothingAndDoubleNothing() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, layout: Mesh.Layout(routers: 3, adapters: 2))
        defer { mesh.stop() }
        let owners = Set((0..<Self.locations).map { mesh.routers.map.owner(of: "loc_p\($0)") })
        #expect(owners.count >= 2, "six locations spread over the three instances: \(owners)")

        let total = 600
        let sent = Sent()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: total, by: 8) {
                        try await Self.send(index, mesh: mesh)
                        sent.count.add(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                try await eventually(timeout: 60) { sent.count.load(ordering: .relaxed) >= total / 2 }
                try mesh.restartRouter("r2")
            }
            try await group.waitForAll()
        }
        try await eventually(timeout: 90, every: .milliseconds(50)) { try await mesh.isDrained() }

        var lost = 0
        var doubled = 0
        var misplaced = 0
        for index in 0..<total {
            let location = "loc_p\(index % Self.locations)"
            let contact = "+1556\(String(format: "%07d", index))"
            switch try await Self.decisions(mesh, location: location, contact: contact) {
            case nil: lost += 1
            case 1?: break
            default: doubled += 1
            }
            if index % 50 == 0 {
                // The other instances never saw it.
                for (name, client) in mesh.routers.all where name != mesh.routers.map.owner(of: location) {
                    if try await Self.decisions(mesh, location: location, contact: contact, on: client) != nil { misplaced += 1 }
                }
            }
        }
        print("partitioned run: contacts=\(total) lost=\(lost) doubled=\(doubled) misplaced=\(misplaced) owners=\(owners.sorted())")
        #expect(lost == 0)
        #expect(doubled == 0)
        #expect(misplaced == 0)
    }

    /// A location moved from its router instance to another with the real CLI while 300 of its
    /// contacts write in: each is decided exactly once, all on the new instance, and the round
    /// robin carries on where it was (100 each), so its state moved too.
    @Test(.timeLimit(.minutes(3)))
    func aLocationMovedUnderLoadLosesNothingAndItsRotationCarriesOn() async throws {
        let folder = TemporaryDirectory()
        let mesh = try await Self.start(folder, layout: Mesh.Layout(routers: 2, adapters: 2))
        defer { mesh.stop() }
        let location = "loc_p0"
        let source = mesh.routers.map.owner(of: location)
        let target = mesh.routerNames.first { $0 != source }!
        let total = 300
        let sent = Sent()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    // Every contact of location 0 (index a multiple of six).
                    for index in stride(from: worker * Self.locations, to: total * Self.locations, by: 4 * Self.locations) {
                        try await Self.send(index, mesh: mesh)
                        sent.count.add(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                try await eventually(timeout: 60) { sent.count.load(ordering: .relaxed) >= total / 3 }
                let move = try ChildProcess("switchboardctl", ["partition", "move", location, "--to", target, "--partitions", mesh.partitionFile!])
                #expect(try move.waitForExit(timeout: 60) == 0, "\(move.stdoutLines) \(move.stderrLines)")
                #expect(move.stdoutLines.last?.hasPrefix("moved \(location) from \(source) to \(target)") == true, "\(move.stdoutLines)")
            }
            try await group.waitForAll()
        }
        try await eventually(timeout: 90, every: .milliseconds(50)) { try await mesh.isDrained() }
        #expect(mesh.routers.map.owner(of: location) == target)

        var lost = 0
        var doubled = 0
        for index in stride(from: 0, to: total * Self.locations, by: Self.locations) {
            switch try await Self.decisions(mesh, location: location, contact: "+1556\(String(format: "%07d", index))") {
            case nil: lost += 1
            case 1?: break
            default: doubled += 1
            }
        }
        print("moved run: contacts=\(total) lost=\(lost) doubled=\(doubled) from=\(source) to=\(target)")
        #expect(lost == 0)
        #expect(doubled == 0)
        struct Loads: Decodable { var loads: [String: Int] }
        let loads = try await mesh.routers.client(named: target).call("router.loads", ["location": location], as: Loads.self).loads
        #expect(loads == ["u0_a": 100, "u0_b": 100, "u0_c": 100])
        await #expect(throws: WireError.self) {
            _ = try await mesh.routers.client(named: source).call("router.contact", ["location": location, "contact": "+15560000000"], as: JSONValue.self)
        }
        let show = try ChildProcess("switchboardctl", ["partition", "show", "--partitions", mesh.partitionFile!])
        #expect(try show.waitForExit() == 0)
        #expect(show.stdoutLines.contains("\(location)\t\(target)\tpinned"), "\(show.stdoutLines)")
    }
}
