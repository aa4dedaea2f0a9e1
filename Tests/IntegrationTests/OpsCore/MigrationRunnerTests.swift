import Logging
import OpsCore
import PGClient
import Testing

@Suite("Schema migrations")
struct MigrationRunnerTests {
    let runner = MigrationRunner(logger: Logger(label: "test"))

    @Test func migratingTwiceAppliesEverythingOnceThenNothing() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            #expect(try await runner.status(on: db).pending.count == Migration.all.count)
            #expect(try await runner.migrate(on: db) == Migration.all.map(\.version))
            #expect(try await runner.migrate(on: db) == [])
            let status = try await runner.status(on: db)
            #expect(status.pending.isEmpty)
            #expect(status.applied.map(\.version) == Migration.all.map(\.version))
            for table in ["sessions", "translation_jobs", "files", "batches", "batch_requests", "ops.job_runs"] {
                #expect(try await db.query("SELECT to_regclass($1) IS NOT NULL AS ok", [table]).first?.decode(Bool.self, "ok") == true, "\(table)")
            }
        }
    }

    @Test func concurrentMigrationsApplyEachVersionExactlyOnce() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            let configuration = try PostgresTestDatabase.serverConfiguration().withDatabase(name)
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let connection = try await PostgresConnection.connect(configuration)
                        let applied = try await MigrationRunner(logger: Logger(label: "test")).migrate(on: connection)
                        await connection.close()
                        return applied
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(results.filter { !$0.isEmpty }.count == 1)
            #expect(results.flatMap { $0 }.sorted() == Migration.all.map(\.version))
            #expect(try await db.query("SELECT count(*) AS n FROM ops.schema_migrations").first?.decode(Int.self, "n") == Migration.all.count)
        }
    }

    @Test func aDatabaseNewerThanTheBinaryIsRefused() async throws {
        try await PostgresTestDatabase.with { _, db in
            try await db.query("INSERT INTO ops.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [999, "future", "x"])
            let error = try await #require(throws: OpsError.self) { try await runner.migrate(on: db) }
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("999"))
            await #expect(throws: OpsError.self) { try await runner.status(on: db) }
        }
    }

    @Test func aFailingMigrationRollsBackAndIsNotRecorded() async throws {
        try await PostgresTestDatabase.with { _, db in
            let broken = MigrationRunner(migrations: Migration.all + [Migration(version: Migration.all.count + 1, name: "broken", sql: "CREATE TABLE half_done (x int); SELECT 1/0;")], logger: Logger(label: "test"))
            let error = try await #require(throws: OpsError.self) { try await broken.migrate(on: db) }
            #expect(error.message.contains("broken"))
            #expect(try await db.query("SELECT to_regclass('half_done') IS NULL AS gone").first?.decode(Bool.self, "gone") == true)
            #expect(try await broken.status(on: db).pending.map(\.name) == ["broken"])
        }
    }
}
