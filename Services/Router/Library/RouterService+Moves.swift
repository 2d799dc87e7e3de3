import Foundation
import Synchronization
import SwitchboardCodec
import SwitchboardDomain
import SwitchboardNet
import SwitchboardRuntime

/// Moving a location to another router instance (docs/scaling.md): the router's side of
/// `switchboardctl partition move`, and how a location being moved, or gone, is refused.
extension RouterService {

    /// The router's side of `switchboardctl partition move`: `hold` (stop deciding the
    /// location, wait for what is in flight), `export` (its rows), `import` (on the target),
    /// `drop` (the source forgets the rows and answers "moved"), `unhold` (a move given up).
    func registerMoves(on server: LineServer) {
        server.register("router.hold") { [self] (request: LocationRequest, _) in
            _ = try configuration(request.location)
            moves.withLock { $0[request.location] = .holding }
            // Every message and event accepted before the hold commits; later ones are refused.
            await pipeline(request.location).close()
            logger.info("location held for a move", ["location": request.location])
            return ["held": true]
        }
        server.register("router.unhold") { [self] (request: LocationRequest, _) in
            let released = moves.withLock { moves -> Bool in
                guard case .holding? = moves[request.location] else { return false }
                moves[request.location] = nil
                return true
            }
            if released { pipeline(request.location).reopen() }
            return ["released": released]
        }
        server.register("router.export") { [self] (request: ExportRequest, _) in
            guard case .holding? = moves.withLock({ $0[request.location] }) else {
                throw WireError.conflict("\(request.location) is not held: router.hold first, so no decision lands after the copy")
            }
            return try await store.exportPage(location: request.location, from: request.from, limit: 500)
        }
        // On the target, before the pages: refuses a location routed here, clears what a move
        // cut short left, and holds the location until `import_done`.
        server.register("router.import_begin") { [self] (request: LocationRequest, _) in
            guard !routes(request.location) else { throw WireError.conflict("this router instance already routes \(request.location)") }
            try await store.beginImport(location: request.location)
            moves.withLock { $0[request.location] = .holding }
            return ["ready": true]
        }
        server.register("router.import") { [self] (page: RouterStore.RowPage, _) in
            guard !routes(page.location), case .holding? = moves.withLock({ $0[page.location] }) else {
                throw WireError.conflict("\(page.location) is routed here, or no import of it has begun")
            }
            try await store.importPage(page)
            return ["rows": page.rows.count]
        }
        // A move given up: the target forgets what it was given (never routed here).
        server.register("router.import_abort") { [self] (request: LocationRequest, _) in
            guard !routes(request.location), case .holding? = moves.withLock({ $0[request.location] }) else {
                throw WireError.conflict("\(request.location) is routed here, or was not being imported")
            }
            try await store.beginImport(location: request.location)
            moves.withLock { $0[request.location] = nil }
            return ["cleared": true]
        }
        // The last step on the target: the imported location is routed from now on.
        server.register("router.import_done") { [self] (request: LocationRequest, _) in
            let configs = try await store.configs().filter { $0.config.location.id == request.location }
            guard let (version, config) = configs.first else { throw WireError.notFound("no imported configuration for \(request.location)") }
            configurations.apply(try CompiledRouting(config), version: version)
            moves.withLock { $0[request.location] = nil }
            pipeline(request.location).reopen()
            timers.wake()
            logger.info("location imported", ["location": request.location])
            return ["routed": true]
        }
        server.register("router.drop") { [self] (request: DropRequest, _) in
            guard case .holding? = moves.withLock({ $0[request.location] }) else { throw WireError.conflict("\(request.location) is not held") }
            try await store.dropMoved(location: request.location, to: request.to, at: Date())
            moves.withLock { $0[request.location] = .moved(to: request.to) }
            logger.info("location moved away", ["location": request.location, "to": request.to])
            return ["dropped": true]
        }
    }

    /// A location being moved, or moved, is not this instance's to decide: retryable, so the
    /// sender tries again and, once its partition map has the new owner, reaches it.
    func refuseIfMoving(_ location: String) throws(WireError) {
        switch moves.withLock({ $0[location] }) {
        case nil: return
        case .holding?: throw WireError.unavailable("\(location) is being moved to another router instance: try again")
        case .moved(let instance)?: throw WireError.unavailable("\(location) moved to router instance \(instance): the partition file sends it there")
        }
    }

    /// Whether this instance decides `location`'s events now.
    func routes(_ location: String) -> Bool {
        moves.withLock { $0[location] == nil } && configurations.entry(location: location) != nil
    }
}

struct ExportRequest: Decodable, Sendable {
    var location: String
    /// Where to read (the previous page's `next`); nil: from the start.
    var from: RouterStore.Cursor?
    enum CodingKeys: String, CodingKey { case location, from }
}

struct DropRequest: Decodable, Sendable {
    var location: String
    /// The instance the location went to.
    var to: String
    enum CodingKeys: String, CodingKey { case location, to }
}
