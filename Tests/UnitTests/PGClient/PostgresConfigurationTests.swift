import Foundation
import PGClient
import Testing

@Suite("PostgreSQL configuration and text coding")
struct PostgresConfigurationTests {
    @Test(arguments: [
        ("postgresql://ops:s3cret@db.internal:6543/auto_i18n?sslmode=require", "postgresql://ops@db.internal:6543/auto_i18n"),
        ("postgres://ops@localhost/app", "postgresql://ops@localhost:5432/app"),
        ("host=10.1.2.3 port=5433 dbname=x user=u password=s3cret", "postgresql://u@10.1.2.3:5433/x"),
    ])
    func redactedFormHidesThePassword(input: String, expected: String) throws {
        let configuration = try PostgresConfiguration(input)
        #expect(configuration.redacted == expected)
        #expect(!"\(configuration)".contains("s3cret"))
    }

    @Test(arguments: ["", "   ", "postgresql://ops:pw@host:5432/db?nosuchoption=1", "host = = x"])
    func malformedStringsAreConfigurationErrors(input: String) {
        #expect(throws: PostgresError.self) { try PostgresConfiguration(input) }
    }

    @Test func urlForAnotherDatabaseKeepsEverythingElse() throws {
        let configuration = try PostgresConfiguration("postgresql://ops:pw@h:1/a?sslmode=disable")
        #expect(configuration.url(forDatabase: "b") == "postgresql://ops:pw@h:1/b?sslmode=disable")
    }

    @Test(arguments: [
        ("2026-11-26 08:54:18+00", 1_795_683_258.0),
        ("2026-11-26 08:54:18.5+00", 1_795_683_258.5),
        ("2026-11-26 10:54:18+02", 1_795_683_258.0),
        ("2026-11-26 03:24:18-05:30", 1_795_683_258.0),
    ])
    func timestampsDecodeWithTheirOffsets(text: String, epoch: Double) throws {
        let date = try #require(Date.decode(postgresText: text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.000_001)
    }

    @Test func timestampsEncodeInUTCWithMicroseconds() {
        #expect(Date(timeIntervalSince1970: 1_795_683_258.25).postgresText == "2026-11-26 08:54:18.250000+00")
        #expect(Date.distantFuture.postgresText == "infinity")
    }

    @Test func arrayLiteralsRoundTrip() {
        let values = ["plain", "with space", "quote\"d", "back\\slash", "NULL", "", "{braces}", "a,b"]
        #expect([String].decode(postgresText: values.postgresText) == values)
        #expect([Int].decode(postgresText: "{1,2,3}") == [1, 2, 3])
        #expect([Int].decode(postgresText: "{}") == [])
    }

    @Test func byteaHexRoundTrips() {
        let data = Data((0...255).map(UInt8.init))
        #expect(Data.decode(postgresText: data.postgresText) == data)
    }
}

@Suite("PostgreSQL client: messages")
struct PostgresMessageTests {
    @Test func anotherDatabaseIsNamedInTheRedactedTarget() throws {
        let configuration = try PostgresConfiguration("postgresql://ops:s3cret-pw@h:1/appdb").withDatabase("ops_verify_x")
        #expect(configuration.redacted == "postgresql://ops@h:1/ops_verify_x")
        #expect(configuration.database == "ops_verify_x")
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("s3cret-pw"))
        #expect(!String(reflecting: configuration).contains("s3cret-pw"))
    }

    @Test func multiLineServerTextIsReportedOnOneLine() {
        let error = PostgresError(.connectionLost, "lost the connection: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n",
                                  detail: "Process 1 waits for ShareLock;\nblocked by process 2.")
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains("unexpectedly; This probably means"))
    }
}
