import Foundation
import OpsCore
import PGClient
import RedisClient
import Testing

/// The `snapshot` command as an operator runs it: exit codes, one-line errors, masked passwords, history.
@Suite("snapshot command")
struct SnapshotCommandTests {
    static let password = "snap-horse-battery"

    @Test func theRightPasswordSnapshotsAndTheRunIsRecorded() async throws {
        let server = try await SnapshotTestSupport.startServer(password: Self.password)
        defer { server.stop() }
        try await PostgresTestDatabase.with { name, db in
            let environment = [
                "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                "REDIS_URL": SnapshotTestSupport.redisURLString(server),
            ]
            let result = try await CLI.run(["snapshot", "--timeout", "60s"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("snapshot saved on redis://127.0.0.1:\(server.port)"))
            #expect(!result.stdout.contains(Self.password))

            let row = try #require(try await db.query("""
                SELECT status, details->>'server' AS server, details->>'file' AS file, (details->>'bytes')::bigint AS bytes
                FROM ops.job_runs WHERE job = 'snapshot'
                """).first)
            #expect(row["status"] == "succeeded")
            #expect(row["server"] == "redis")
            let dump = server.directory.appendingPathComponent("dump.rdb").path
            #expect(row["file"] == dump)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: dump)[.size] as? NSNumber)
            #expect(row["bytes"] == size.stringValue)
        }
    }

    @Test func aWrongPasswordIsOneLineExit3WithoutThePassword() async throws {
        let server = try await SnapshotTestSupport.startServer(password: Self.password)
        defer { server.stop() }
        try await PostgresTestDatabase.with { name, db in
            let environment = [
                "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                "REDIS_URL": SnapshotTestSupport.redisURLString(server, password: "wrong-guess-123"),
            ]
            let result = try await CLI.run(["snapshot"], environment: environment)
            #expect(result.status == ExitCode.storeUnavailable)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(result.stderr.contains("authentication to redis://127.0.0.1:\(server.port) failed"))
            #expect(!result.stderr.contains("wrong-guess-123"))
            let error = try #require(try await db.query("SELECT status, error FROM ops.job_runs WHERE job = 'snapshot'").first)
            #expect(error["status"] == "failed")
            #expect(error["error"]?.contains("wrong-guess-123") == false)
        }
    }

    @Test func noPasswordForAServerThatRequiresOneSaysSo() async throws {
        let server = try await SnapshotTestSupport.startServer(password: Self.password)
        defer { server.stop() }
        try await PostgresTestDatabase.with { name, _ in
            let environment = [
                "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                "REDIS_URL": "redis://127.0.0.1:\(server.port)/0",
            ]
            let result = try await CLI.run(["snapshot"], environment: environment)
            #expect(result.status == ExitCode.storeUnavailable)
            #expect(result.stderr.contains("requires a password"))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func aServerThatIsDownIsExit3NamingIt() async throws {
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }  // the port stays bound (and refused) to the end
        let port = closed.port
        try await PostgresTestDatabase.with { name, _ in
            let environment = [
                "DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: name).databaseURL),
                "REDIS_URL": "redis://:hidden-pw@127.0.0.1:\(port)/0",
                "REDIS_MAX_RETRIES": "0",
            ]
            let result = try await CLI.run(["snapshot"], environment: environment)
            #expect(result.status == ExitCode.storeUnavailable)
            #expect(result.stderr.contains("cannot connect to redis://127.0.0.1:\(port)"))
            #expect(!result.stderr.contains("hidden-pw"))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test(arguments: [
        ["snapshot", "--format", "xyz"],
        ["snapshot", "--timeout", "soon"],
        ["snapshot", "--no-wait", "--copy-to-repo"],
        ["snapshot", "--keep-last", "3"],
        ["cache", "stats", "--max-time", "never"],
    ])
    func badOptionsAreUsageErrors(arguments: [String]) async throws {
        let result = try await CLI.run(arguments, environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(result.status == ExitCode.usage, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
