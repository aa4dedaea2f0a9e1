import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpsCore
import PGClient
import TestSupport
import Testing

/// The `run` daemon as operators start it: the built binary, signals, HTTP.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errorText = ""
    private var exitInstant: ContinuousClock.Instant?

    /// Starts `auto-i18n-ops run` with `arguments` (plus `--listen 127.0.0.1:0` and the test clock).
    init(database: String, schedule: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let file = NSTemporaryDirectory() + "daemon-\(UUID().uuidString).schedule"
        try schedule.write(toFile: file, atomically: true, encoding: .utf8)
        process.executableURL = try CLI.executable()
        process.arguments = ["run", "--schedule", file, "--listen", "127.0.0.1:0", "--test-time-scale", "60", "--metrics-interval", "0.2"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = try PostgresTestDatabase.serverConfiguration().url(forDatabase: database)
        env.merge(environment) { _, new in new }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.errorText += String(decoding: data, as: UTF8.self) }
        }
        // Noted by Foundation's own monitor when the child exits, so a busy test process (whose
        // cooperative threads may be held by other suites) does not count its own delay in.
        process.terminationHandler = { [weak self] _ in
            guard let self else { return }
            let now = ContinuousClock.now
            self.lock.withLock { self.exitInstant = now }
        }
        try process.run()
    }

    var log: String { lock.withLock { errorText } }

    /// When the process exited (nil while it runs).
    var exitedAt: ContinuousClock.Instant? { lock.withLock { exitInstant } }

    /// The port from the "listening on http://127.0.0.1:PORT/metrics" log line.
    func port() async throws -> Int {
        for _ in 0..<2400 {
            if let range = log.range(of: #"listening on http://127\.0\.0\.1:\d+/"#, options: .regularExpression) {
                let digits = log[range].split(separator: ":").last!.dropLast()
                return Int(digits)!
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw OpsError(.jobFailed, "the daemon did not start listening; log:\n\(log)")
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit and returns its status; after `seconds` it records a failure,
    /// kills the process and returns -1.
    func wait(seconds: Double = 60) async -> Int32 {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                Issue.record("the daemon did not exit within \(seconds) s; log:\n\(log)")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return -1
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}

enum HTTP {
    struct Response {
        let status: Int
        let contentType: String?
        let body: String
    }

    static func get(_ port: Int, _ path: String, token: String? = nil) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return Response(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: String(decoding: data, as: UTF8.self))
    }
}

@Suite("The run daemon (binary)", .serialized)
struct DaemonProcessTests {
    /// Jobs run on the schedule, /metrics shows them and passes promtool, /healthz and /readyz answer,
    /// the token guards /metrics, and SIGTERM ends the daemon with exit 0.
    @Test func jobsRunAndTheEndpointsServeThem() async throws {
        try await PostgresTestDatabase.with { name, db in
            let daemon = try DaemonProcess(database: name, schedule: "* * * * * sleep --seconds 0\n* * * * * health\n",
                                           environment: ["METRICS_TOKEN": "s3cret-token"])
            let port = try await daemon.port()
            #expect(try await HTTP.get(port, "/healthz").status == 200)
            let ready = try await HTTP.get(port, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.contentType == "application/health+json")
            #expect(ready.body.contains(#""status""#) && ready.body.contains("postgres:"))
            #expect(try await HTTP.get(port, "/metrics").status == 401)
            #expect(try await HTTP.get(port, "/metrics", token: "wrong").status == 401)

            // Waits for both jobs: under a loaded CI host a health run (PostgreSQL and Redis round
            // trips) can finish well after two sleep runs have.
            var metrics = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                metrics = try await HTTP.get(port, "/metrics", token: "s3cret-token").body
                if (sample(#"auto_i18n_ops_job_runs_total{ops_job="sleep",result="succeeded"}"#, in: metrics) ?? 0) >= 2,
                   (sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="health"}"#, in: metrics) ?? 0) > 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="sleep",result="succeeded"}"#, in: metrics) ?? 0 >= 2, "\(daemon.log)")
            #expect(sample(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="health"}"#, in: metrics) ?? 0 > 1_700_000_000, "\(daemon.log)")
            #expect(sample("auto_i18n_ops_postgres_up", in: metrics) == 1)
            #expect(sample(#"auto_i18n_ops_job_runs_total{ops_job="health",result="failed"}"#, in: metrics) == 0, "series exist at 0")
            let check = try Promtool.checkMetrics(metrics)
            #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
            let response = try await HTTP.get(port, "/metrics", token: "s3cret-token")
            #expect(response.contentType == "text/plain; version=0.0.4; charset=utf-8")

            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
            let rows = try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'sleep' AND trigger = 'schedule' AND status = 'succeeded'")
            #expect(try rows.first!.decode(Int.self, "n") >= 2)
            #expect(!daemon.log.contains(try PostgresTestDatabase.serverConfiguration().url(forDatabase: name)), "no URL with password in the log")
        }
    }

    /// SIGTERM while a job runs past the grace period: exit 0, the run recorded as failed (cancelled)
    /// with an end time, and its lock released.
    @Test func sigtermDuringARunningJobCancelsItCleanlyAfterTheGrace() async throws {
        try await PostgresTestDatabase.with { name, db in
            let daemon = try DaemonProcess(database: name, schedule: "* * * * * sleep --seconds 600\n", arguments: ["--shutdown-grace", "3s"])
            try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = 'sleep' AND status = 'running'")
            // The run's row is written before it takes its lock; wait for the lock, so the SIGTERM
            // reaches a running body rather than a run still preparing (which is recorded as skipped).
            try await waitForJobLock(db, "sleep")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
            let row = try #require(try await db.query("SELECT status, error, finished_at IS NOT NULL AS done FROM ops.job_runs WHERE job = 'sleep' AND status <> 'skipped' ORDER BY id LIMIT 1").first)
            #expect(row["status"] == "failed")
            #expect(row["error"]?.contains("cancelled") == true)
            #expect(try row.decode(Bool.self, "done"))
            #expect(try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE status = 'running'").first!.decode(Int.self, "n") == 0)
            #expect(try await db.tryAdvisoryLock(AdvisoryLockKey.forName("job:sleep").value))
        }
    }

    /// SIGTERM while a short job runs: it finishes within the grace period and is recorded as succeeded.
    @Test func sigtermLetsARunningJobFinishWithinTheGrace() async throws {
        try await PostgresTestDatabase.with { name, db in
            let daemon = try DaemonProcess(database: name, schedule: "* * * * * sleep --seconds 2\n", arguments: ["--shutdown-grace", "60s"])
            try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = 'sleep' AND status = 'running'")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
            let statuses = try await db.query("SELECT status FROM ops.job_runs WHERE job = 'sleep' AND status <> 'skipped'").rows.map { $0["status"] }
            #expect(statuses.contains("succeeded"))
            #expect(!statuses.contains("failed") && !statuses.contains("running"))
        }
    }

    /// SIGHUP with an invalid file: logged, the old schedule keeps running.
    @Test func sighupWithAnInvalidScheduleKeepsTheOldOne() async throws {
        try await PostgresTestDatabase.with { name, db in
            let daemon = try DaemonProcess(database: name, schedule: "* * * * * sleep --seconds 0\n")
            _ = try await daemon.port()
            let file = daemon.process.arguments![2]
            try "* * * * * no-such-job\n".write(toFile: file, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try await waitUntil("the daemon refused the new schedule") { daemon.log.contains("keeping the previous one") }
            #expect(daemon.log.contains("unknown job 'no-such-job'"))
            let before = try await db.query("SELECT count(*) AS n FROM ops.job_runs WHERE job = 'sleep'").first!.decode(Int.self, "n")
            try await waitFor(db, "SELECT count(*) AS n FROM ops.job_runs WHERE job = 'sleep' HAVING count(*) > $1", [before])
            #expect(daemon.process.isRunning)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0)
        }
    }

    @Test func anInvalidScheduleStopsTheDaemonBeforeItStartsNamingTheLine() async throws {
        let file = NSTemporaryDirectory() + "bad-\(UUID().uuidString).schedule"
        try "# ok\n* * * * * health\n0 24 * * * health\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["run", "--schedule", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file):3: field 2 (hour): 24 is out of range 0-23"), "\(result.stderr)")
    }
}
