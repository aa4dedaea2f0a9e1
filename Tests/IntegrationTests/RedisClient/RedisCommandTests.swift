import OpsSupport
import RedisClient
import Testing

/// Commands, replies and pipelining against the shared server from `REDIS_URL`.
@Suite struct RedisCommandTests {
    @Test func valuesWithNulAndCRLFRoundTrip() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = Array(RedisTestEnvironment.keyPrefix().utf8) + [0, 13, 10, 0x6b]
        let value: [UInt8] = [0x61, 0, 13, 10, 0xff, 0, 0x62, 13, 10]
        #expect(try await redis.command(bytes: [Array("SET".utf8), key, value]) == .status("OK"))
        #expect(try await redis.command(bytes: [Array("GET".utf8), key]) == .string(value))
        #expect(try await redis.command(bytes: [Array("STRLEN".utf8), key]) == .integer(Int64(value.count)))
    }

    @Test func stringArgumentsWithNulCRLFAndUnicodeRoundTrip() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "s"
        let value = "héllo\r\nwörld\0!\r\n"
        try await redis.command(["SET", key, value])
        #expect(try await redis.command(["GET", key]).stringValue == value)
    }

    @Test func oneMebibyteValueRoundTrips() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = Array((RedisTestEnvironment.keyPrefix() + "big").utf8)
        let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        try await redis.command(bytes: [Array("SET".utf8), key, value])
        let reply = try await redis.command(bytes: [Array("GET".utf8), key])
        #expect(reply.bytes?.count == 1 << 20)
        #expect(reply.bytes == value)
    }

    @Test func pipelineOfThousandCommandsReturnsRepliesInOrder() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "counter"
        let replies = try await redis.pipeline(Array(repeating: ["INCR", key], count: 1000))
        #expect(replies == (1...1000).map { RedisReply.integer(Int64($0)) })
        #expect(try await redis.command(["GET", key]).int == 1000)
    }

    @Test func pipelineReturnsErrorRepliesInlineAndKeepsGoing() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "p"
        let replies = try await redis.pipeline([["SET", key, "abc"], ["INCR", key], ["GET", key]])
        try #require(replies.count == 3)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1].errorMessage?.hasPrefix("ERR") == true)
        #expect(replies[2] == .string(Array("abc".utf8)))
        #expect(try await redis.pipeline([]) == [])
    }

    @Test func errorReplyThrowsServerErrorAndConnectionStaysUsable() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "text"
        try await redis.command(["SET", key, "not a number"])
        let error = try await #require(throws: RedisError.self) { try await redis.command(["INCR", key]) }
        #expect(error.code == .serverError)
        #expect(error.command == "INCR")
        #expect(error.message.contains("not an integer"))
        #expect(error.description.contains(redis.url.server))
        #expect(try await redis.command(["PING"]) == .status("PONG"))
    }

    @Test func integerArrayNullAndStatusRepliesAreDecoded() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let prefix = RedisTestEnvironment.keyPrefix()
        #expect(try await redis.command(["SET", prefix + "a", "1"]) == .status("OK"))
        #expect(try await redis.command(["RPUSH", prefix + "list", "x", "", "z"]) == .integer(3))
        #expect(
            try await redis.command(["LRANGE", prefix + "list", "0", "-1"])
                == .array([.string(Array("x".utf8)), .string([]), .string(Array("z".utf8))]))
        #expect(try await redis.command(["LRANGE", prefix + "missing", "0", "-1"]) == .array([]))
        #expect(try await redis.command(["GET", prefix + "missing"]).isNull)
        #expect(try await redis.command(["INCRBY", prefix + "n", "-5"]).int == -5)
        let mixed = try await redis.command(["MGET", prefix + "a", prefix + "missing"])
        #expect(mixed == .array([.string(Array("1".utf8)), .null]))
        #expect(try await redis.command(["DEL", prefix + "a", prefix + "list", prefix + "n"]) == .integer(3))
    }

    @Test func databaseFromURLIsSelected() async throws {
        let base = try RedisTestEnvironment.sharedURL()
        let other = base.database == 7 ? 8 : 7
        let inOther = try await RedisTestEnvironment.connect(database: other)
        defer { inOther.close() }
        let inBase = try await RedisTestEnvironment.connect()
        defer { inBase.close() }
        let key = RedisTestEnvironment.keyPrefix() + "db"
        try await inOther.command(["SET", key, "here"])
        #expect(try await inOther.command(["EXISTS", key]) == .integer(1))
        #expect(try await inBase.command(["EXISTS", key]) == .integer(0))
        try await inOther.command(["DEL", key])
    }

    @Test func infoSectionsAreParsedIntoFields() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let persistence = try await redis.info("persistence")
        #expect(persistence["loading"] == "0")
        #expect(persistence["rdb_changes_since_last_save"].flatMap { Int($0) } != nil)
        let memory = try await redis.info("memory")
        #expect(memory["used_memory"].flatMap { Int($0) }.map { $0 > 0 } == true)
        let stats = try await redis.info("stats")
        #expect(stats["total_commands_processed"].flatMap { Int($0) } != nil)
        #expect(stats["# Stats"] == nil)
    }

    @Test func concurrentCallersOnOneConnectionAreSerialised() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let key = RedisTestEnvironment.keyPrefix() + "shared"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { try await redis.command(["INCR", key]) }
            }
            try await group.waitForAll()
        }
        #expect(try await redis.command(["GET", key]).int == 50)
    }

    @Test func commandsAfterCloseThrowConnectionClosed() async throws {
        let redis = try await RedisTestEnvironment.connect()
        redis.close()
        let error = try await #require(throws: RedisError.self) { try await redis.command(["PING"]) }
        #expect(error.code == .connectionClosed)
    }

    @Test func emptyCommandIsRejectedWithoutBreakingTheConnection() async throws {
        let redis = try await RedisTestEnvironment.connect()
        defer { redis.close() }
        let error = try await #require(throws: RedisError.self) { try await redis.command([]) }
        #expect(error.code == .protocolError)
        #expect(try await redis.command(["PING"]) == .status("PONG"))
    }
}
