import Foundation
import Synchronization
import Testing
import SwitchboardCodec
import SwitchboardNet
import SwitchboardPOSIX
import SwitchboardRuntime
import SwitchboardTestSupport

/// Integration tests of ``LineServer`` and ``LineClient`` over real loopback sockets.
@Suite struct LineServerTests {
    struct Echo: Codable, Equatable, Sendable {
        var client: Int
        var sequence: Int
        enum CodingKeys: String, CodingKey { case client, sequence }
    }

    struct Pause: Codable, Sendable {
        var milliseconds: Int
        enum CodingKeys: String, CodingKey { case milliseconds }
    }

    static func makeServer(_ configure: (inout LineServerOptions) -> Void = { _ in }) throws -> LineServer {
        var options = LineServerOptions()
        configure(&options)
        let server = LineServer(service: "test", options: options, logger: Logger(service: "test", minimumLevel: .error), metrics: MetricsRegistry())
        server.register("test.echo") { (body: Echo, _) in body }
        server.register("test.sleep") { (body: Pause, _) in
            try await Task.sleep(for: .milliseconds(body.milliseconds))
            return body
        }
        server.register("test.watch") { (_: EmptyBody, context) in
            context.events.push("test.changed", ["version": 7])
            return EmptyBody()
        }
        _ = try server.listen()
        return server
    }

    /// Requests made while a client is still connecting reach the server in the order they were
    /// made, and none made just after the connection comes up overtakes them (the router's
    /// outbox hands notifications over in commit order this way).
    @Test func requestsMadeWhileConnectingArriveInTheOrderTheyWereMade() async throws {
        let order = Recorder<Int>()
        let server = LineServer(service: "test", options: LineServerOptions(), logger: Logger(service: "test", minimumLevel: .error), metrics: MetricsRegistry())
        server.register("test.record") { (body: Echo, _) in
            order.append(body.sequence)
            return body
        }
        let port = try server.listen()
        for round in 0..<20 {
            let client = LineClient(host: "127.0.0.1", port: port)
            let answered = Recorder<Int>()
            let base = round * 1_000
            // From one thread, back to back: the first few queue while the client dials.
            for sequence in base..<(base + 200) {
                client.send("test.record", encodedBody: try WireJSON.encode(Echo(client: round, sequence: sequence))) { _ in answered.append(sequence) }
            }
            #expect(try await eventually { answered.values.count == 200 })
            client.close()
        }
        let expected = (0..<20).flatMap { round in (round * 1_000)..<(round * 1_000 + 200) }
        let arrived = order.values
        let firstOutOfOrder = zip(arrived, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(arrived.count == expected.count && firstOutOfOrder == nil,
                "request \(firstOutOfOrder.map { "\($0.element.1)" } ?? "?") was overtaken: \(firstOutOfOrder.map { "\($0.element.0)" } ?? "?") arrived in its place")
        await server.stop()
    }

    @Test(.timeLimit(.minutes(3)))
    func twoHundredClientsPipeliningAThousandRequestsEachGetTheirOwnAnswers() async throws {
        let server = try Self.makeServer()
        let mismatches = Tally()
        let answered = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for clientIndex in 0..<200 {
                group.addTask {
                    let client = LineClient(host: "127.0.0.1", port: server.port)
                    defer { client.close() }
                    try await withThrowingTaskGroup(of: Void.self) { requests in
                        for sequence in 0..<1000 {
                            requests.addTask {
                                let sent = Echo(client: clientIndex, sequence: sequence)
                                let reply = try await client.call("test.echo", sent, as: Echo.self, timeout: 120)
                                if reply != sent { mismatches.add() }
                                answered.add()
                            }
                        }
                        try await requests.waitForAll()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(answered.value == 200_000)
        #expect(mismatches.value == 0)
        await server.stop()
    }

    @Test func aClientStalledMidLineDoesNotDelayOthers() async throws {
        let server = try Self.makeServer()
        let stalled = try await RawConnection(port: server.port)
        try await stalled.send(#"{"v":1,"id":"slow","op":"test.echo","body":{"client":1,"#)
        let client = LineClient(host: "127.0.0.1", port: server.port)
        for sequence in 0..<100 {
            let reply = try await client.call("test.echo", Echo(client: 2, sequence: sequence), as: Echo.self, timeout: 60)
            #expect(reply.sequence == sequence)
        }
        try await stalled.send("\"sequence\":9}}\n")
        let line = try #require(try await stalled.readLine())
        #expect(line.contains(#""id":"slow""#) && line.contains(#""ok":true"#))
        client.close()
        await server.stop()
    }

    @Test func aTwoMebibyteLineGetsLineTooLongAndTheConnectionCloses() async throws {
        let server = try Self.makeServer()
        let connection = try await RawConnection(port: server.port)
        let padding = String(repeating: "x", count: 2 << 20)
        try? await connection.send(#"{"v":1,"id":"big","op":"test.echo","body":{"pad":""# + padding + "\"}}\n")
        let line = try #require(try await connection.readLine())
        let message = try IncomingMessage.parse(Array(line.utf8))
        guard case .failure(_, let error) = message else {
            Issue.record("expected a failure, got \(line.prefix(200))")
            return
        }
        #expect(error.code == .lineTooLong)
        #expect(await connection.isClosedByPeer())
        await server.stop()
    }

    @Test func garbageGetsBadRequestAndTheConnectionStaysUsable() async throws {
        let server = try Self.makeServer()
        let connection = try await RawConnection(port: server.port)
        try await connection.send([0xFF, 0x00, 0x13, 0x37, 0x0A])
        try await connection.send("[1,2,3]\n")
        try await connection.send(#"{"v":1,"id":"n","op":"nope"}"# + "\n")
        try await connection.send(#"{"v":9,"id":"v","op":"health"}"# + "\n")
        try await connection.send(#"{"v":1,"id":"ok","op":"test.echo","body":{"client":1,"sequence":2}}"# + "\n")
        var errors: [ErrorCode] = []
        for _ in 0..<4 {
            let line = try #require(try await connection.readLine())
            if case .failure(_, let error) = try IncomingMessage.parse(Array(line.utf8)) { errors.append(error.code) }
        }
        #expect(errors == [.badRequest, .badRequest, .unknownOp, .unsupportedVersion])
        let answer = try #require(try await connection.readLine())
        #expect(answer.contains(#""id":"ok""#) && answer.contains(#""ok":true"#))
        await server.stop()
    }

    @Test func aWrongTokenIsRefusedAndTheConnectionClosed() async throws {
        let server = try Self.makeServer { $0.token = "s3cret-token" }
        let early = try await RawConnection(port: server.port)
        try await early.send(#"{"v":1,"id":"1","op":"test.echo","body":{"client":1,"sequence":1}}"# + "\n")
        #expect(try #require(try await early.readLine()).contains("unauthorized"))
        #expect(await early.isClosedByPeer())

        var wrong = LineClientOptions(host: "127.0.0.1", port: server.port)
        wrong.token = "not-the-token"
        let refused = LineClient(options: wrong)
        await #expect(throws: WireError.self) { _ = try await refused.call("test.echo", Echo(client: 1, sequence: 1), as: Echo.self) }

        var right = wrong
        right.token = "s3cret-token"
        let accepted = LineClient(options: right)
        #expect(try await accepted.call("test.echo", Echo(client: 1, sequence: 1), as: Echo.self) == Echo(client: 1, sequence: 1))
        accepted.close()
        await server.stop()
    }

    /// `hello` is the new connection's first request, answered on the client's loop: a server
    /// that never answers it times out as `unavailable` within the connect timeout, and a client
    /// on the same loop is served meanwhile.
    @Test func aHelloNeverAnsweredTimesOutWhileAnotherClientOnTheSameLoopIsServed() async throws {
        let silent = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { silent.close() }
        let loop = EventLoop(name: "test.client")
        var options = LineClientOptions(host: "127.0.0.1", port: try silent.localPort())
        options.token = "any"
        options.connectTimeout = 0.3
        let stuck = LineClient(options: options, loop: loop)
        let server = try Self.makeServer()
        let served = LineClient(options: LineClientOptions(host: "127.0.0.1", port: server.port), loop: loop)
        let started = ContinuousClock.now
        async let waited: Void = { _ = try await stuck.call("test.echo", Echo(client: 1, sequence: 1), as: Echo.self) }()
        #expect(try await served.call("test.echo", Echo(client: 2, sequence: 1), as: Echo.self) == Echo(client: 2, sequence: 1))
        do {
            try await waited
            Issue.record("expected a timeout")
        } catch let error as WireError {
            #expect(error.code == .unavailable && error.message.contains("hello"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        stuck.close()
        served.close()
        await server.stop()
    }

    @Test func connectionsBeyondTheLimitGetOverloaded() async throws {
        let server = try Self.makeServer { $0.maximumConnections = 2 }
        let first = try await RawConnection(port: server.port)
        let second = try await RawConnection(port: server.port)
        try await first.send(#"{"v":1,"id":"a","op":"health"}"# + "\n")
        try await second.send(#"{"v":1,"id":"b","op":"health"}"# + "\n")
        _ = try await first.readLine()
        _ = try await second.readLine()
        let third = try await RawConnection(port: server.port)
        let line = try #require(try await third.readLine())
        #expect(line.contains("overloaded"))
        await server.stop()
    }

    @Test func aHandlerOnThePoolRunsOffTheEventLoopsAndTheDefaultStartsOnOne() async throws {
        let server = try Self.makeServer()
        // Answers whether the handler began on one of the process's event loop threads.
        func whereItRuns() -> LineServer.RawHandler {
            { _, _ in Array(String(EventLoopGroup.shared.loops.contains { $0.inLoop }).utf8) }
        }
        server.registerRaw("test.where_on_pool", execution: .onPool, whereItRuns())
        server.registerRaw("test.where_on_loop", whereItRuns())
        let client = LineClient(host: "127.0.0.1", port: server.port)
        for _ in 0..<20 {
            #expect(try await client.call("test.where_on_pool", EmptyBody(), as: Bool.self) == false)
            #expect(try await client.call("test.where_on_loop", EmptyBody(), as: Bool.self) == true)
        }
        client.close()
        await server.stop()
    }

    @Test func aSendWithACompletionIsAnsweredOnTheClientsLoopAndAFailureReachesItToo() async throws {
        let server = try Self.makeServer()
        let client = LineClient(host: "127.0.0.1", port: server.port)
        _ = try await client.call("test.echo", Echo(client: 0, sequence: 0), as: Echo.self)
        let body = try WireJSON.encode(Echo(client: 3, sequence: 9))
        let (line, onLoop) = await withCheckedContinuation { (continuation: CheckedContinuation<([UInt8]?, Bool), Never>) in
            client.send("test.echo", encodedBody: body) { result in
                continuation.resume(returning: (try? result.get(), EventLoopGroup.shared.loops.contains { $0.inLoop }))
            }
        }
        #expect(try Envelope.decodeBody(Echo.self, from: try #require(line)) == Echo(client: 3, sequence: 9))
        #expect(onLoop, "the answer is handed over where it was read, with no hop")
        let failure = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            client.send("test.nothing", encodedBody: Array("{}".utf8)) { result in
                continuation.resume(returning: { if case .failure(let error as WireError) = result { error.code == .unknownOp } else { false } }())
            }
        }
        #expect(failure)
        client.close()
        await server.stop()
    }

    @Test func aDeferredReplyLeavesFromAnotherThreadAfterTheHandlerReturnedOnceOnly() async throws {
        let server = try Self.makeServer()
        let replyThread = DispatchQueue(label: "test.reply")
        server.registerDeferred("test.later") { request, _, reply in
            let body = try request.decodeBody(Echo.self)
            // The reply waits for the handler's body to have finished, not for a guessed delay.
            let returned = DispatchSemaphore(value: 0)
            defer { returned.signal() }
            replyThread.async {
                _ = returned.wait(timeout: .now() + 10)
                reply(.success(try! WireJSON.encode(body)))
                reply(.failure(WireError(.internal, "a second reply is ignored")))
            }
        }
        server.registerDeferred("test.refuse") { _, _, _ in throw WireError(.badRequest, "refused before replying") }
        let client = LineClient(host: "127.0.0.1", port: server.port)
        for sequence in 0..<5 {
            #expect(try await client.call("test.later", Echo(client: 4, sequence: sequence), as: Echo.self) == Echo(client: 4, sequence: sequence))
        }
        await #expect(throws: WireError(.badRequest, "refused before replying")) {
            try await client.call("test.refuse", EmptyBody(), as: EmptyBody.self)
        }
        // Every slot was released: the server still answers, and nothing is left in flight.
        #expect(try await client.call("health", EmptyBody(), as: HealthBody.self).inFlight == 0)
        client.close()
        await server.stop()
    }

    @Test func healthAndMetricsAreAnsweredByTheServerItself() async throws {
        let server = try Self.makeServer()
        let client = LineClient(host: "127.0.0.1", port: server.port)
        _ = try await client.call("test.echo", Echo(client: 0, sequence: 0), as: Echo.self)
        let health = try await client.call("health", EmptyBody(), as: HealthBody.self)
        #expect(health.status == "ok" && health.service == "test")
        let metrics = try await client.call("metrics", EmptyBody(), as: MetricsSnapshot.self)
        #expect(metrics.counters["switchboard_requests_total{op=\"test.echo\",outcome=\"ok\"}"] == 1)
        client.close()
        await server.stop()
    }

    /// `health` says `stuck`, naming the thread, while the heartbeat finds it not progressing.
    @Test func healthSaysStuckWhileAThreadMakesNoProgress() async throws {
        let server = try Self.makeServer()
        let client = LineClient(host: "127.0.0.1", port: server.port)
        final class Gate: Sendable { let open = Atomic<Bool>(true) }
        let gate = Gate()
        let heartbeat = Heartbeat(probes: [Heartbeat.Probe(name: "router.store") { done in if gate.open.load(ordering: .relaxed) { done() } }])
        server.reportHealth(from: heartbeat)
        heartbeat.beat()
        #expect(try await client.call("health", EmptyBody(), as: HealthBody.self).status == "ok")
        gate.open.store(false, ordering: .relaxed)
        heartbeat.beat()
        heartbeat.beat()
        let stuck = try await client.call("health", EmptyBody(), as: HealthBody.self)
        #expect(stuck.status == "stuck" && stuck.stuck == ["router.store"])
        client.close()
        await server.stop()
    }

    @Test func idleConnectionsAreClosed() async throws {
        let server = try Self.makeServer { $0.idleTimeout = 0.2 }
        let connection = try await RawConnection(port: server.port, receiveTimeout: 5)
        #expect(await connection.isClosedByPeer())
        await server.stop()
    }

    @Test func eventsReachSubscribers() async throws {
        let server = try Self.makeServer()
        let client = LineClient(host: "127.0.0.1", port: server.port)
        let received = AsyncStream<String>.makeStream()
        try await client.subscribe("test.watch", EmptyBody()) { name, _ in received.continuation.yield(name) }
        var iterator = received.stream.makeAsyncIterator()
        #expect(await iterator.next() == "test.changed")
        client.close()
        await server.stop()
    }

    @Test func retryingCallsSucceedOnceTheServerComesUp() async throws {
        let probe = try Self.makeServer()
        let port = probe.port
        await probe.stop()
        let client = LineClient(host: "127.0.0.1", port: port)
        await #expect(throws: WireError.self) { _ = try await client.call("test.echo", Echo(client: 1, sequence: 1), as: Echo.self) }
        async let reply = client.callRetrying("test.echo", Echo(client: 1, sequence: 1), as: Echo.self, deadline: 20)
        let server = try Self.makeServer { $0.port = port }
        #expect(try await reply == Echo(client: 1, sequence: 1))
        client.close()
        await server.stop()
    }

    @Test func stopLetsInFlightRequestsFinish() async throws {
        let server = try Self.makeServer()
        let client = LineClient(host: "127.0.0.1", port: server.port)
        async let slow = client.call("test.sleep", Pause(milliseconds: 300), as: Pause.self)
        let observer = LineClient(host: "127.0.0.1", port: server.port)
        for _ in 0..<500 {
            if try await observer.call("health", EmptyBody(), as: HealthBody.self).inFlight == 1 { break }
            await Task.yield()
        }
        await server.stop()
        #expect(try await slow.milliseconds == 300)
    }
}
