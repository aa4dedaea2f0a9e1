import Foundation
import Health
import OpsCore
import OpsSupport
import PGClient
import Testing

@Suite("health")
struct HealthTests {
    @Test func passesOnAMigratedDatabaseWithRedisUp() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            _ = try #require(configuration.redisURL, "REDIS_URL is not set: run the tests with Scripts/test")
            var thresholds = HealthThresholds()
            thresholds.snapshotAgeWarn = 0
            // The suite's other tests share this server and this machine: their connections, open
            // transactions and load (a response measured at 20 s in a full CI run on 2 cores) are not
            // this test's subject (the thresholds are tested in HealthReportTests).
            thresholds.responseTimeWarnMs = 600_000
            thresholds.connectionsWarn = 1
            thresholds.connectionsFail = 1
            thresholds.transactionAgeWarn = 86_400
            thresholds.transactionAgeFail = 86_400
            let report = await HealthJob(thresholds: thresholds).check(configuration)
            #expect(report.status == .pass, "\(report.table)")
            let keys = Set(report.checks.map(\.key))
            for key in ["postgres:responseTime", "postgres:version", "postgres:connections", "postgres:databaseSize",
                        "postgres:oldestTransaction", "postgres:migrations", "redis:responseTime", "redis:role",
                        "redis:memory", "redis:evictedKeys", "redis:lastSnapshot"] {
                #expect(keys.contains(key), "missing \(key)")
            }
            let json = report.json
            #expect(json["status"]?.stringValue == "pass")
            #expect(json["checks"]?["postgres:responseTime"] != nil)
        }
    }

    @Test func pendingMigrationsWarn() async throws {
        try await PostgresTestDatabase.with(migrated: false) { name, _ in
            var configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            configuration.redisURL = nil
            let report = await HealthJob().check(configuration)
            #expect(report.checks.first { $0.key == "postgres:migrations" }?.status == .warn)
            #expect(report.status == .warn)
        }
    }

    @Test func anOpenTransactionPastTheLimitFails() async throws {
        try await PostgresTestDatabase.with { name, db in
            try await db.execute("BEGIN; SELECT txid_current();")
            // The transaction is older than the 1 s limit (clock_timestamp() moves, now() is its start).
            try await waitFor(db, "SELECT count(*) AS n WHERE clock_timestamp() - now() > interval '1.2 seconds'")
            var configuration = try PostgresTestDatabase.opsConfiguration(database: name)
            configuration.redisURL = nil
            var thresholds = HealthThresholds()
            thresholds.transactionAgeWarn = 0.5
            thresholds.transactionAgeFail = 1
            let report = await HealthJob(thresholds: thresholds).check(configuration)
            #expect(report.checks.first { $0.key == "postgres:oldestTransaction" }?.status == .fail)
            #expect(throws: OpsError.self) { try HealthJob.verdict(report) }
            try await db.execute("ROLLBACK")
        }
    }
}

@Suite("health command")
struct HealthCommandTests {
    @Test func postgresDownIsOneLineNamingPostgresWithExit3AndNoPassword() async throws {
        let result = try await CLI.run(["health"], environment: ["DATABASE_URL": "postgresql://ops:s3cr3t-pw@127.0.0.1:1/auto_i18n"])
        #expect(result.status == 3)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("PostgreSQL"))
        #expect(!(result.stdout + result.stderr).contains("s3cr3t-pw"))
    }

    @Test func redisDownIsOneLineNamingRedisWithExit3AndNoPassword() async throws {
        let result = try await CLI.run(["health"], environment: ["REDIS_URL": "redis://:s3cr3t-pw@127.0.0.1:1/0"])
        #expect(result.status == 3)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("Redis"))
        #expect(!(result.stdout + result.stderr).contains("s3cr3t-pw"))
    }

    @Test func malformedURLIsAUsageErrorWithExit2() async throws {
        let result = try await CLI.run(["health"], environment: ["DATABASE_URL": "postgresql://ops:s3cr3t-pw@127.0.0.1:notaport/x"])
        #expect(result.status == 2)
        #expect(!(result.stdout + result.stderr).contains("s3cr3t-pw"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func jsonOutputIsHealthJSON() async throws {
        let result = try await CLI.run(["health", "--json", "--snapshot-age-warn", "0"])
        let object = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        #expect(["pass", "warn"].contains(object["status"]?.stringValue ?? ""))
        #expect(object["checks"]?["redis:responseTime"] != nil)
    }

    @Test func unknownCommandIsAUsageErrorWithExit2() async throws {
        let result = try await CLI.run(["nonsense"])
        #expect(result.status == 2)
    }
}

@Suite("command line")
struct CommandLineTests {
    @Test(arguments: [["--help"], ["health", "--help"], ["help", "schema"], ["--version"]])
    func helpAndVersionPrintToStdoutAndExit0(arguments: [String]) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.status == 0)
        #expect(!result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }
}
