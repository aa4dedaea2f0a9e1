import RedisClient
import Testing

/// AUTH on connect, against private servers (each test starts its own, so they run in parallel).
@Suite struct RedisAuthTests {
    @Test func rightPasswordAuthenticates() async throws {
        let server = try await RedisTestServer.start(password: "right-horse-battery")
        defer { server.stop() }
        let redis = try await RedisConnection.connect(server.url)
        defer { redis.close() }
        #expect(try await redis.command(["PING"]) == .status("PONG"))
    }

    @Test func wrongPasswordIsAuthenticationErrorWithoutThePassword() async throws {
        let server = try await RedisTestServer.start(password: "right-horse-battery")
        defer { server.stop() }
        var url = server.url
        url.password = "wrong-staple-guess"
        let error = try await #require(throws: RedisError.self) { try await RedisConnection.connect(url) }
        #expect(error.code == .authenticationFailed)
        #expect(error.description.contains("redis://127.0.0.1:\(server.port)"))
        #expect(!error.description.contains("wrong-staple-guess"))
        #expect(!error.description.contains("right-horse-battery"))
        #expect(!String(reflecting: error).contains("wrong-staple-guess"))
    }

    @Test func missingPasswordIsReportedAsNoAuth() async throws {
        let server = try await RedisTestServer.start(password: "right-horse-battery")
        defer { server.stop() }
        var url = server.url
        url.password = nil
        let error = try await #require(throws: RedisError.self) { try await RedisConnection.connect(url) }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("NOAUTH"))
        #expect(error.message.contains("requires a password"))

        url.database = 2  // SELECT instead of PING on connect: same answer
        let selectError = try await #require(throws: RedisError.self) { try await RedisConnection.connect(url) }
        #expect(selectError.code == .authenticationFailed)
    }

    @Test func passwordForServerWithoutOneIsAClearError() async throws {
        let server = try await RedisTestServer.start()
        defer { server.stop() }
        var url = server.url
        url.password = "unneeded-secret"
        let error = try await #require(throws: RedisError.self) { try await RedisConnection.connect(url) }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("the server has none configured"))
        #expect(!error.description.contains("unneeded-secret"))
    }

    @Test func aclUserAuthenticatesWithUserAndPassword() async throws {
        let server = try await RedisTestServer.start(password: "admin-secret")
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        try await admin.command(["ACL", "SETUSER", "alice", "on", ">alice-secret", "~*", "+@all"])

        let url = try RedisURL("redis://alice:alice-secret@127.0.0.1:\(server.port)/0")
        let alice = try await RedisConnection.connect(url)
        defer { alice.close() }
        #expect(try await alice.command(["ACL", "WHOAMI"]).stringValue == "alice")

        var wrong = url
        wrong.password = "not-alices"
        let error = try await #require(throws: RedisError.self) { try await RedisConnection.connect(wrong) }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("user name or password"))
        #expect(!error.description.contains("not-alices"))
    }

    @Test func reconnectAuthenticatesAgain() async throws {
        let server = try await RedisTestServer.start(password: "right-horse-battery")
        defer { server.stop() }
        let redis = try await RedisConnection.connect(server.url)
        defer { redis.close() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        let id = try #require(try await redis.command(["CLIENT", "ID"]).int)
        try await admin.command(["CLIENT", "KILL", "ID", String(id)])
        await #expect(throws: RedisError.self) { try await redis.command(["PING"]) }

        try await redis.reconnect()
        #expect(try await redis.command(["PING"]) == .status("PONG"))  // NOAUTH without a new AUTH
    }
}
