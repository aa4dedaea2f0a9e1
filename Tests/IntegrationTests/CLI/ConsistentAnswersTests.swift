import Foundation
import PGClient
import Testing

/// The same mistake gets the same answer everywhere (issue 14, "Consistent answers" and the range
/// checks): a one-line usage error (exit 2) naming the option and its range, through the binary.
@Suite("Consistent answers and range checks through the binary")
struct ConsistentAnswersTests {
    private func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    private func scheduleFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("answers-\(UUID().uuidString).schedule").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: counts

    @Test func scheduleNextCapsTheCountAndStreamsUpToIt() async throws {
        let huge = try await CLI.run(["schedule", "next", "* * * * *", "--count", "100000000"])
        #expect(huge.status == 2, "\(huge.stderr)")
        #expect(huge.stderr == "auto-i18n-ops: --count 100000000 is not valid: must be at most 10000\n", "\(huge.stderr)")
        #expect(huge.stdout.isEmpty)

        let most = try await CLI.run(["schedule", "next", "* * * * *", "--count", "10000", "--tz", "UTC", "--from", "2026-01-01T00:00:00Z"])
        #expect(most.status == 0, "\(most.stderr)")
        let printed = lines(most.stdout)
        #expect(printed.count == 10000)
        #expect(printed.first == "2026-01-01T00:01:00+00:00")
        // 10000 minutes after midnight: day 7, 22:40.
        #expect(printed.last == "2026-01-07T22:40:00+00:00")

        let check = try await CLI.run(["schedule", "check", try scheduleFile("0 3 * * * stats-refresh\n"), "--count", "10001"])
        #expect(check.status == 2)
        #expect(check.stderr.contains("--count 10001 is not valid: must be at most 10000"), "\(check.stderr)")
    }

    /// argument-parser reads `-1` as a flag and says "Missing value"; the options take it as a value.
    @Test(arguments: [
        ["schedule", "next", "* * * * *", "--count", "-1"],
        ["schedule", "check", "Cron/schedule", "--count", "-1"],
        ["restore", "--target-url", "postgresql://nobody@127.0.0.1:1/x", "--jobs", "-1"],
        ["backup", "verify", "--jobs", "-1"],
        ["backup", "verify", "--jobs", "0"],
        ["backup", "create", "--jobs", "-1"],
    ])
    func negativeAndZeroCountsSayMustBeAtLeastOne(arguments: [String]) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        let option = arguments[arguments.count - 2]
        let value = arguments[arguments.count - 1]
        #expect(result.stderr == "auto-i18n-ops: \(option) \(value) is not valid: must be at least 1 (and at most \(option == "--count" ? 10000 : 1000))\n",
                "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"))
    }

    @Test func historyReadsANegativeLimitAsAValue() async throws {
        let result = try await CLI.run(["history", "--limit", "-5"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("auto-i18n-ops: --limit must be from 1 to 10000"), "\(result.stderr)")
        #expect(!result.stderr.contains("Missing value"))
    }

    // MARK: health thresholds

    @Test(arguments: ["--connections-warn", "--connections-fail", "--memory-warn", "--memory-fail"],
          ["nan", "inf", "-inf", "1.5", "-0.1"])
    func healthRefusesSharesThatAreNotFromZeroToOne(option: String, value: String) async throws {
        let result = try await CLI.run(["health", option, value])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(lines(result.stderr).count == 1)
        #expect(result.stderr.contains("auto-i18n-ops: \(option) "), "\(result.stderr)")
        #expect(result.stderr.contains("use a share from 0 to 1"), "\(result.stderr)")
    }

    @Test(arguments: [("--connections-warn", "0.99", "--connections-fail", "0.5"),
                      ("--memory-warn", "0.9", "--memory-fail", "0.8"),
                      ("--transaction-age-warn", "2h", "--transaction-age-fail", "1h")])
    func healthRefusesAWarnAboveItsFail(warn: String, warnValue: String, fail: String, failValue: String) async throws {
        let result = try await CLI.run(["health", warn, warnValue, fail, failValue])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr == "auto-i18n-ops: \(warn) must not be above \(fail): a check warns before it fails\n", "\(result.stderr)")
    }

    @Test func healthSchedulesLinesAreCheckedTheSameWay() async throws {
        let result = try await CLI.run(["schedule", "check", try scheduleFile("*/5 * * * * health --memory-warn nan\n"), "--count", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(":1: health: --memory-warn nan is not valid"), "\(result.stderr)")
    }

    // MARK: schedules that never fire

    @Test(arguments: ["* * 31 feb *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
    func aScheduleLineThatCanNeverFireIsRefused(expression: String) async throws {
        let path = try scheduleFile("0 3 * * * stats-refresh\n\(expression) health\n")
        let check = try await CLI.run(["schedule", "check", path])
        #expect(check.status == 2, "\(check.stdout)")
        #expect(check.stderr.contains("\(path):2: field 3 (day-of-month): '\(expression)' can never fire"), "\(check.stderr)")
        // The daemon loads the schedule with the same parser: it refuses to start.
        let daemon = try await CLI.run(["run", "--schedule", path, "--listen", "127.0.0.1:19999"])
        #expect(daemon.status == 2, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("can never fire"), "\(daemon.stderr)")
    }

    // MARK: stores

    @Test(arguments: ["0", "65536", "99999", "http"])
    func aPostgresPortOutOfRangeIsAUsageErrorAsForRedis(port: String) async throws {
        let postgres = try await CLI.run(["history", "--database-url", "postgresql://ops@127.0.0.1:\(port)/x"])
        #expect(postgres.status == 2, "\(postgres.stderr)")
        #expect(postgres.stderr.contains("port must be a number from 1 to 65535"), "\(postgres.stderr)")
        let conninfo = try await CLI.run(["history", "--database-url", "host=127.0.0.1 port=\(port) dbname=x"])
        #expect(conninfo.status == 2, "\(conninfo.stderr)")

        let redis = try await CLI.run(["cache", "stats", "--redis-url", "redis://127.0.0.1:\(port)/0"])
        #expect(redis.status == 2, "\(redis.stderr)")
        #expect(redis.stderr.contains("port must be a number from 1 to 65535"), "\(redis.stderr)")
    }

    /// redis-server has 16 databases: index 99 does not exist, an unreachable store (3) for every command.
    @Test(arguments: [["cache", "stats"], ["snapshot"], ["health"]])
    func aRedisDatabaseIndexThatDoesNotExistIsExitThree(command: [String]) async throws {
        let server = try #require(ProcessInfo.processInfo.environment["REDIS_URL"], "REDIS_URL is not set: run the tests with Scripts/test")
        var url = try #require(URLComponents(string: server))
        url.path = "/99"
        let redisURL = try #require(url.string)
        try await PostgresTestDatabase.with(migrated: true) { database, _ in
            let environment = ["DATABASE_URL": try PostgresTestDatabase.serverConfiguration().url(forDatabase: database)]
            let result = try await CLI.run(command + ["--redis-url", redisURL], environment: environment)
            #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("has no database 99"), "\(result.stderr)")
        }
    }
}

/// Files that are not what `restore` and `backup verify` take (issue 14).
@Suite("Files that are not backups or scripts")
struct NotABackupTests {
    private func temporary(_ name: String, _ data: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notabackup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        let file = path.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    private func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Printable text only: no error may echo raw file bytes to the terminal.
    private func isPrintable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F && $0 != "\u{FFFD}") }
    }

    @Test(.serialized, arguments: ["junk.tar.zst", "junk.tar", "notes.txt"])  // one restore job at a time (its lock)
    func restoreAndVerifyAgreeOnAFileThatIsNotABackup(name: String) async throws {
        let file = try temporary(name, randomBytes(4096))
        try await PostgresTestDatabase.with(migrated: false) { target, connection in
            let targetURL = try PostgresTestDatabase.serverConfiguration().url(forDatabase: target)
            // Each test records (and locks) its runs in its own database, so parallel tests never meet
            // on the `restore` job's lock.
            let restore = try await CLI.run(["restore", file, "--target-url", targetURL], environment: ["DATABASE_URL": targetURL])
            let verify = try await CLI.run(["backup", "verify", file], environment: ["DATABASE_URL": targetURL])
            #expect(restore.status == 2, "\(restore.stderr)")
            #expect(verify.status == 2, "\(verify.stderr)")
            #expect(restore.stderr.contains("not a backup archive"), "\(restore.stderr)")
            #expect(isPrintable(restore.stderr) && isPrintable(verify.stderr))
            let objects = try await connection.query("SELECT count(*) AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace").first?.decode(Int.self, "n")
            #expect(objects == 0)
        }
    }

    @Test(arguments: ["random.sql.gz", "random.sql"])
    func aRandomScriptIsRefusedAsNotASQLScriptBeforeAnythingRuns(name: String) async throws {
        var data = randomBytes(64 * 1024)
        if name.hasSuffix(".gz") {
            // A real gzip stream of random bytes: decompresses fine, is not SQL.
            let raw = try temporary("raw", data)
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-k", "-f", raw]
            try gzip.run()
            gzip.waitUntilExit()
            try #require(gzip.terminationStatus == 0)
            data = try Data(contentsOf: URL(fileURLWithPath: raw + ".gz"))
        }
        let file = try temporary(name, data)
        try await PostgresTestDatabase.with(migrated: false) { target, connection in
            let targetURL = try PostgresTestDatabase.serverConfiguration().url(forDatabase: target)
            let result = try await CLI.run(["restore", file, "--target-url", targetURL], environment: ["DATABASE_URL": targetURL])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("\(name) is not a SQL script"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").last?.hasPrefix("auto-i18n-ops: ") == true, "\(result.stderr)")
            #expect(isPrintable(result.stderr), "\(result.stderr)")
            let objects = try await connection.query("SELECT count(*) AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace").first?.decode(Int.self, "n")
            #expect(objects == 0)
        }
    }
}
