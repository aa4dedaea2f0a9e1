import Testing

@testable import RedisClient

@Suite struct RedisURLTests {
    @Test func fullURLIsParsed() throws {
        let url = try RedisURL("redis://alice:s3cret@cache.internal:6380/2")
        #expect(url.host == "cache.internal")
        #expect(url.port == 6380)
        #expect(url.database == 2)
        #expect(url.username == "alice")
        #expect(url.password == "s3cret")
        #expect(url.server == "redis://cache.internal:6380")
    }

    @Test func portAndDatabaseDefaultTo6379AndZero() throws {
        let url = try RedisURL("redis://localhost")
        #expect(url == RedisURL(host: "localhost", port: 6379, database: 0))
        #expect(try RedisURL("redis://localhost/") == url)
        #expect(try RedisURL("REDIS://localhost:6379/0") == url)
    }

    @Test func passwordWithoutUserIsParsed() throws {
        let url = try RedisURL("redis://:s3cret@127.0.0.1:7000/0")
        #expect(url.username == nil)
        #expect(url.password == "s3cret")
        #expect(url.port == 7000)
    }

    @Test func userInfoWithoutColonIsAPasswordAsRedisCliReadsIt() throws {
        let url = try RedisURL("redis://s3cret@host")
        #expect(url.username == nil)
        #expect(url.password == "s3cret")
    }

    @Test func percentEncodedCredentialsAreDecoded() throws {
        let url = try RedisURL("redis://b%C3%A9a:p%40ss%3Aw%2Frd@host:1/1")
        #expect(url.username == "béa")
        #expect(url.password == "p@ss:w/rd")
    }

    @Test func rawAtSignAndSlashInPasswordAreKeptBecauseUserInfoEndsAtLastAt() throws {
        let url = try RedisURL("redis://:p@ss/word@host:6390/4")
        #expect(url.password == "p@ss/word")
        #expect(url.host == "host")
        #expect(url.port == 6390)
        #expect(url.database == 4)
    }

    @Test func bracketedIPv6HostIsParsed() throws {
        let url = try RedisURL("redis://[::1]:6390/3")
        #expect(url.host == "::1")
        #expect(url.port == 6390)
        #expect(url.database == 3)
        #expect(url.server == "redis://[::1]:6390")
    }

    @Test func redactedMasksThePasswordEverywhere() throws {
        let url = try RedisURL("redis://alice:s3cret@cache.internal:6380/2")
        #expect(url.redacted == "redis://alice:****@cache.internal:6380/2")
        #expect(url.description == url.redacted)
        #expect("\(url)" == url.redacted)
        #expect(!String(reflecting: url).contains("s3cret"))
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("s3cret"))
        #expect(dumped.contains("****"))
        #expect(try RedisURL("redis://:s3cret@h").redacted == "redis://:****@h:6379/0")
        #expect(try RedisURL("redis://h:1/5").redacted == "redis://h:1/5")
    }

    @Test(arguments: [
        ("rediss://cache:6380", "TLS"),
        ("http://cache:6379", "scheme"),
        ("cache:6379", "expected redis://"),
        ("redis://", "missing host"),
        ("redis://:6379/0", "missing host"),
        ("redis://cache:abc", "port"),
        ("redis://cache:0", "port"),
        ("redis://cache:65536", "port"),
        ("redis://cache/x", "database"),
        ("redis://cache/-1", "database"),
        ("redis://cache?db=1", "query"),
        ("redis://[::1", "IPv6"),
        ("redis://:%zz@cache", "percent-encoding"),
    ])
    func malformedURLIsRejectedWithAReason(url: String, reason: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisURL(url) }
        #expect(error.code == .invalidURL)
        #expect(error.description.contains(reason), "\(error)")
        #expect(error.description.hasPrefix("invalid Redis URL: "))
    }

    @Test(arguments: [
        "rediss://:hunter22@cache:6380",
        "redis://alice:hunter22@cache:notaport",
        "redis://alice:hunter22@/0",
        "http://alice:hunter22@cache",
        "alice:hunter22@cache:6379",
        "redis://hunter22@cache/db",
        "redis://:hunter22@cache?x=1",
    ])
    func invalidURLErrorNeverContainsThePassword(url: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisURL(url) }
        #expect(!error.description.contains("hunter22"), "\(error)")
        #expect(!error.message.contains("hunter22"))
        #expect(error.description.contains("****"))
    }
}
