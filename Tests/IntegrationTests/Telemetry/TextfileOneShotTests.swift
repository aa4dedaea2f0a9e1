import Foundation
import OpsCore
import PGClient
import TestSupport
import Testing

/// One-shot runs with `--textfile-dir`, through the binary: the health series the daemon exports,
/// failures before connecting, consecutive failures across processes, and a file that cannot be written.
@Suite("Textfile metrics of one-shot runs (binary)", .serialized)
struct TextfileOneShotTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "textfile-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sample(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last!)
        }
        return nil
    }

    /// A malformed DATABASE_URL fails before connecting, yet the job's file says it failed (exit 2),
    /// and a second such run counts two consecutive failures; a later success resets the count and
    /// writes the store series with both stores up.
    @Test func configurationErrorsAreRecordedAndFailuresCarryOverUntilASuccess() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let dir = try Self.directory()
            let file = dir + "/auto_i18n_ops_stats_refresh.prom"
            let broken = ["DATABASE_URL": "postgresql://ops:secret-pw@[broken"]
            for attempt in 1...2 {
                let result = try await CLI.run(["stats", "refresh", "--textfile-dir", dir], environment: broken)
                #expect(result.status == 2, "\(result.stderr)")
                #expect(!result.stderr.contains("secret-pw"))
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(Self.sample(#"auto_i18n_ops_job_last_status{ops_job="stats-refresh",status="failed"}"#, in: text) == 1)
                #expect(Self.sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="stats-refresh"}"#, in: text) == Double(attempt))
                #expect(Self.sample(#"auto_i18n_ops_job_last_exit_code{ops_job="stats-refresh"}"#, in: text) == 2)
                #expect(Self.sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="stats-refresh"}"#, in: text) == 0)
                let check = try Promtool.checkMetrics(text)
                #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
                // The store file says PostgreSQL cannot be reached as configured.
                let stores = try String(contentsOfFile: dir + "/auto_i18n_ops_stores.prom", encoding: .utf8)
                #expect(Self.sample("auto_i18n_ops_postgres_up", in: stores) == 0)
                #expect(!stores.contains("secret-pw"))
            }

            let url = try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)
            let ok = try await CLI.run(["stats", "refresh", "--textfile-dir", dir], environment: ["DATABASE_URL": url])
            #expect(ok.status == 0, "\(ok.stderr)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(Self.sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="stats-refresh"}"#, in: text) == 0)
            #expect(Self.sample(#"auto_i18n_ops_job_last_exit_code{ops_job="stats-refresh"}"#, in: text) == 0)
            #expect((Self.sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="stats-refresh"}"#, in: text) ?? 0) > 1_700_000_000)
            let stores = try String(contentsOfFile: dir + "/auto_i18n_ops_stores.prom", encoding: .utf8)
            #expect(Self.sample("auto_i18n_ops_postgres_up", in: stores) == 1)
            #expect(Self.sample("auto_i18n_ops_redis_up", in: stores) == 1, "REDIS_URL of the test stack is set: \(stores)")
            #expect((Self.sample("auto_i18n_ops_postgres_ping_seconds", in: stores) ?? 0) > 0)
            #expect((Self.sample("auto_i18n_ops_metrics_refresh_timestamp_seconds", in: stores) ?? 0) > 1_700_000_000)
            let check = try Promtool.checkMetrics(text + stores)
            #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
        }
    }

    /// An environment value that does not parse fails before any configuration exists: the job's file
    /// still says failed (exit 2); nothing is claimed about the stores.
    @Test func aBadEnvironmentValueStillWritesTheJobsFile() async throws {
        let dir = try Self.directory()
        let result = try await CLI.run(["backup", "verify", "--restore-test", "--textfile-dir", dir], environment: ["CONNECT_TIMEOUT": "soon"])
        #expect(result.status == 2, "\(result.stderr)")
        let text = try String(contentsOfFile: dir + "/auto_i18n_ops_backup_verify.prom", encoding: .utf8)
        #expect(Self.sample(#"auto_i18n_ops_job_last_status{ops_job="backup-verify",status="failed"}"#, in: text) == 1)
        #expect(Self.sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="backup-verify"}"#, in: text) == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/auto_i18n_ops_stores.prom"))
    }

    /// `health` one-shot writes the same series (it does not go through the job runner).
    @Test func healthWritesTheStoreSeries() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let dir = try Self.directory()
            let url = try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)
            let result = try await CLI.run(["health", "--textfile-dir", dir], environment: ["DATABASE_URL": url])
            #expect([0, 10].contains(result.status), "\(result.stderr)")
            let text = try String(contentsOfFile: dir + "/auto_i18n_ops_health.prom", encoding: .utf8)
            #expect(Self.sample(#"auto_i18n_ops_job_consecutive_failures{ops_job="health"}"#, in: text) == 0)
            let stores = try String(contentsOfFile: dir + "/auto_i18n_ops_stores.prom", encoding: .utf8)
            #expect(Self.sample("auto_i18n_ops_postgres_up", in: stores) == 1)
        }
    }

    /// A run that cannot write its file fails loudly: exit 1 and one line naming the directory.
    @Test func aRunThatCannotWriteItsFileFails() async throws {
        try await PostgresTestDatabase.with { name, _ in
            let dir = try Self.directory()
            let notADirectory = dir + "/file"
            try Data("x".utf8).write(to: URL(fileURLWithPath: notADirectory))
            let url = try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)
            let result = try await CLI.run(["stats", "refresh", "--textfile-dir", notADirectory], environment: ["DATABASE_URL": url])
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops:") }
            #expect(lines.count == 1 && lines[0].contains("cannot write textfile metrics into \(notADirectory)"), "\(result.stderr)")
        }
    }
}
