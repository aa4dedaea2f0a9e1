import OpsSupport
import Testing

@testable import RedisClient

@Suite struct RedisReplyAndInfoTests {
    @Test func replyAccessorsReturnValuesOnlyForMatchingCases() {
        #expect(RedisReply.string(Array("42".utf8)).int == 42)
        #expect(RedisReply.string(Array("42".utf8)).stringValue == "42")
        #expect(RedisReply.string([0, 13, 10]).bytes == [0, 13, 10])
        #expect(RedisReply.status("OK").stringValue == "OK")
        #expect(RedisReply.status("OK").bytes == nil)
        #expect(RedisReply.integer(-7).int == -7)
        #expect(RedisReply.integer(-7).stringValue == nil)
        #expect(RedisReply.array([.null]).array == [.null])
        #expect(RedisReply.null.isNull)
        #expect(RedisReply.null.stringValue == nil)
        #expect(RedisReply.error("ERR x").errorMessage == "ERR x")
        #expect(RedisReply.error("ERR x").stringValue == nil)
    }

    @Test func infoTextIsParsedIgnoringSectionsAndKeepingColonsInValues() {
        let text = """
            # Persistence\r
            loading:0\r
            rdb_last_bgsave_status:ok\r
            \r
            # Keyspace\r
            db0:keys=3,expires=0,avg_ttl=0\r
            master_host:::1\r

            """
        let info = RedisInfo.parse(text)
        #expect(info == [
            "loading": "0",
            "rdb_last_bgsave_status": "ok",
            "db0": "keys=3,expires=0,avg_ttl=0",
            "master_host": "::1",
        ])
    }

    @Test func errorDescriptionIsOneSentenceNamingTheServer() {
        let error = RedisError(
            .serverError, server: "redis://cache:6379", command: "INCR",
            message: "ERR value is not an integer or out of range")
        #expect(
            error.description
                == "redis://cache:6379 answered during INCR with an error: ERR value is not an integer or out of range")
        let refused = RedisError(.connectionFailed, server: "redis://cache:1", message: "Connection refused")
        #expect(refused.description == "cannot connect to redis://cache:1: Connection refused")
    }
}
