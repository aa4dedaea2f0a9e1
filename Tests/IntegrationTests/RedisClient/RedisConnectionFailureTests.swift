import RedisClient
import Testing

/// Timeouts, refused and lost connections, and recovery with `reconnect()`.
@Suite struct RedisConnectionFailureTests {
    @Test func blockedCommandTimesOutAfterCommandTimeout() async throws {
        let redis = try await RedisTestEnvironment.connect(commandTimeout: .milliseconds(500))
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "empty"
        // BLPOP would answer (nil) only after 60 s: a timeout error proves the client gave up first.
        let error = try await #require(throws: RedisError.self) {
            try await redis.command(["BLPOP", key, "60"])
        }
        #expect(error.code == .timeout)
        #expect(error.command == "BLPOP")
        #expect(error.description.contains(redis.url.server))
        #expect(error.description.contains("500 ms"))

        // The late reply would desynchronise the stream, so the connection refuses further use.
        let next = try await #require(throws: RedisError.self) { try await redis.command(["PING"]) }
        #expect(next.code == .connectionLost)
        #expect(next.message.contains("reconnect"))
    }

    @Test func reconnectRestoresTimeoutAndDatabase() async throws {
        let base = try RedisTestEnvironment.sharedURL()
        let database = base.database == 5 ? 6 : 5
        let redis = try await RedisTestEnvironment.connect(database: database, commandTimeout: .milliseconds(300))
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "k"
        try await redis.command(["SET", key, "v"])
        await #expect(throws: RedisError.self) { try await redis.command(["BLPOP", key + "empty", "2"]) }

        try await redis.reconnect()
        #expect(try await redis.command(["GET", key]).stringValue == "v")  // same database again
        let error = try await #require(throws: RedisError.self) {
            try await redis.command(["BLPOP", key + "empty", "60"])
        }
        #expect(error.code == .timeout)  // redisSetTimeout was re-applied after redisReconnect
        try await redis.reconnect()
        try await redis.command(["DEL", key])
    }

    @Test func connectionRefusedNamesHostAndPort() async throws {
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }  // the port stays bound (and refused) to the end
        let port = closed.port
        let url = RedisURL(host: "127.0.0.1", port: port, password: "hunter22")
        let error = try await #require(throws: RedisError.self) {
            try await RedisConnection.connect(url, connectTimeout: .seconds(2))
        }
        #expect(error.code == .connectionFailed)
        #expect(error.description.contains("redis://127.0.0.1:\(port)"))
        #expect(error.description.contains("refused"))
        #expect(!error.description.contains("hunter22"))
    }

    @Test func connectionKilledByServerIsConnectionLostNotServerError() async throws {
        let victim = try await RedisTestEnvironment.connect()
        defer { victim.close() }
        let admin = try await RedisTestEnvironment.connect()
        defer { admin.close() }
        let id = try #require(try await victim.command(["CLIENT", "ID"]).int)
        #expect(try await admin.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))

        let error = try await #require(throws: RedisError.self) { try await victim.command(["PING"]) }
        #expect(error.code == .connectionLost)
        #expect(error.code != .serverError)
        #expect(error.description.contains(victim.url.server))

        try await victim.reconnect()
        #expect(try await victim.command(["PING"]) == .status("PONG"))
    }

    @Test func serverShutdownIsConnectionLost() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        let redis = try await RedisConnection.connect(server.url)
        defer { redis.close() }
        #expect(try await redis.command(["PING"]) == .status("PONG"))
        server.stop()

        let error = try await #require(throws: RedisError.self) { try await redis.pipeline([["PING"]]) }
        #expect(error.code == .connectionLost)
        let reconnectError = try await #require(throws: RedisError.self) { try await redis.reconnect() }
        #expect(reconnectError.code == .connectionFailed)
    }
}
