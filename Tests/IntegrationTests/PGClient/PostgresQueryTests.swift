import Foundation
import PGClient
import Testing

@Suite("PostgreSQL client: queries, errors, locks")
struct PostgresQueryTests {
    @Test func boundParametersRoundTripAwkwardValues() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            let text = "it's \"quoted\" \\ back\tslash\r\n; DROP TABLE x; -- 🌍 𝄞"
            let bytes = Data([0, 1, 2, 255, 10, 13, 92])
            let date = Date(timeIntervalSince1970: 1_795_683_705.123456)
            let row = try #require(try await db.query("""
                SELECT $1::text AS t, $2::bytea AS b, $3::int8 AS i, $4::bool AS f, $5::timestamptz AS d,
                       $6::text[] AS a, $7::float8 AS x, $8::text AS n, 'infinity'::timestamptz AS inf,
                       '{"k": [1, 2]}'::jsonb AS j
                """, [text, bytes, Int64.min, false, date, ["a", "b c", "d\"e", "NULL", ""], 1.5e-300, nil]).first)
            #expect(try row.decode(String.self, "t") == text)
            #expect(try row.decode(Data.self, "b") == bytes)
            #expect(try row.decode(Int64.self, "i") == Int64.min)
            #expect(try row.decode(Bool.self, "f") == false)
            #expect(abs(try row.decode(Date.self, "d").timeIntervalSince(date)) < 0.000_001)
            #expect(try row.decode([String].self, "a") == ["a", "b c", "d\"e", "NULL", ""])
            #expect(try row.decode(Double.self, "x") == 1.5e-300)
            #expect(try row.decode(String?.self, "n") == nil)
            #expect(try row.decode(Date.self, "inf") == .distantFuture)
            #expect(try row.decode(String.self, "j") == #"{"k": [1, 2]}"#)
        }
    }

    @Test func decodingAWrongTypeNamesTheColumn() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            let row = try #require(try await db.query("SELECT 'abc'::text AS word").first)
            let error = try #require(throws: PostgresError.self) { try row.decode(Int.self, "word") }
            #expect(error.code == .decoding)
            #expect(error.message.contains("word"))
        }
    }

    @Test func serverErrorsCarrySQLStateDetailAndKeepTheConnectionUsable() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("CREATE TABLE u (id int PRIMARY KEY)")
            try await db.query("INSERT INTO u VALUES ($1)", [1])
            let error = try await #require(throws: PostgresError.self) { try await db.query("INSERT INTO u VALUES ($1)", [1]) }
            #expect(error.code == .server)
            #expect(error.sqlState == "23505")
            #expect(error.detail?.contains("(id)=(1)") == true)
            let syntax = try await #require(throws: PostgresError.self) { try await db.execute("SELEC 1") }
            #expect(syntax.sqlState == "42601")
            #expect(try await db.query("SELECT count(*) AS n FROM u").first?.decode(Int.self, "n") == 1)
        }
    }

    @Test func quoteIdentifierUsesLibpqQuoting() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            #expect(try await db.quoteIdentifier("Files") == "\"Files\"")
            #expect(try await db.quoteIdentifier("we\"ird") == "\"we\"\"ird\"")
            let name = try await db.quoteIdentifier("select")
            try await db.execute("CREATE TABLE \(name) (x int)")
            #expect(try await db.query("SELECT count(*) AS n FROM \(name)").first?.decode(Int.self, "n") == 0)
        }
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("CREATE TABLE t (x int)")
            await #expect(throws: Boom.self) {
                try await db.transaction {
                    try await db.query("INSERT INTO t VALUES ($1)", [1])
                    throw Boom()
                }
            }
            try await db.transaction { try await db.query("INSERT INTO t VALUES ($1)", [2]) }
            #expect(try await db.query("SELECT array_agg(x) AS xs FROM t").first?.decode([Int].self, "xs") == [2])
        }
    }

    @Test func advisoryLockIsExclusiveAcrossSessions() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            let other = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration().withDatabase(name))
            let key: Int64 = 4242
            #expect(try await db.tryAdvisoryLock(key))
            #expect(try await other.tryAdvisoryLock(key) == false)
            #expect(try await db.advisoryUnlock(key))
            #expect(try await other.tryAdvisoryLock(key))
            await other.close()
        }
    }

    @Test func cancellingTheTaskCancelsTheRunningStatement() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            let task = Task { try await db.query("SELECT pg_sleep(30)") }
            // Cancel once the statement runs on the server (seen from another session).
            let observer = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(name))
            defer { Task { await observer.close() } }
            try await waitFor(observer, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query = 'SELECT pg_sleep(30)'")
            task.cancel()
            let error = try await #require(throws: PostgresError.self) { try await task.value }
            #expect(error.code == .cancelled)  // pg_sleep(30) finishing would have returned a row instead
            #expect(try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one") == 1)
        }
    }

    @Test func terminatedBackendIsReportedAsConnectionLost() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            let victim = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration().withDatabase(name))
            let pid = try #require(try await victim.query("SELECT pg_backend_pid() AS pid").first?.decode(Int.self, "pid"))
            try await db.query("SELECT pg_terminate_backend($1)", [pid])
            let error = try await #require(throws: PostgresError.self) { try await victim.query("SELECT 1") }
            #expect(error.code == .connectionLost || error.sqlState == "57P01")
            #expect(error.isTransient)
        }
    }

    @Test func closedConnectionRefusesFurtherCommands() async throws {
        let db = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        await db.close()
        let error = try await #require(throws: PostgresError.self) { try await db.query("SELECT 1") }
        #expect(error.code == .closed)
    }
}

@Suite("PostgreSQL client: connection errors")
struct PostgresConnectionErrorTests {
    @Test func wrongPasswordIsAnAuthenticationErrorWithoutThePassword() async throws {
        var components = try #require(URLComponents(string: try PostgresTestDatabase.serverURL()))
        components.password = "not-the-password-s3cr3t"
        let configuration = try PostgresConfiguration(try #require(components.string))
        let error = try await #require(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        #expect(error.code == .authenticationFailed)
        #expect(!error.description.contains("s3cr3t"))
        #expect(error.description.contains(components.host ?? "?"))
    }

    @Test func closedPortIsAConnectionFailureNamingTheServer() async throws {
        let configuration = try PostgresConfiguration("postgresql://ops:hunter2@127.0.0.1:1/db", connectTimeoutSeconds: 2)
        let error = try await #require(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        #expect(error.code == .connectionFailed)
        #expect(error.description.contains("127.0.0.1:1"))
        #expect(!error.description.contains("hunter2"))
    }

    @Test func invalidOptionIsAConfigurationError() async throws {
        // Refused where it is parsed (a usage error before any connection attempt).
        let error = try #require(throws: PostgresError.self) { try PostgresConfiguration("postgresql://ops:hunter2@127.0.0.1:notaport/db") }
        #expect(error.code == .invalidConfiguration)
        #expect(!error.description.contains("hunter2"))
    }
}
