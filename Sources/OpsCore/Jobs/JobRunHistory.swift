import Foundation
import OpsSupport
import PGClient

/// The durable run history in `ops.job_runs`, written by every job whatever started it.
package struct JobRunHistory: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Whether the `ops.job_runs` table exists (the database has been migrated).
    package func isAvailable() async throws -> Bool {
        try await connection.query("SELECT to_regclass('ops.job_runs') IS NOT NULL AS present").first?.decode(Bool.self, "present") ?? false
    }

    /// Records the start of a run and returns its id.
    ///
    /// - Parameters:
    ///   - slot: the scheduled slot this run claims; a second claim of the same (job, slot) fails with
    ///     SQLSTATE 23505, which is how replicas run each slot once.
    ///   - timeout: the run's timeout, stored so that another host can tell when the row is stale.
    /// - Parameter claim: a token kept in the row's details while it runs (a scheduled slot's claim).
    package func start(job: String, trigger: JobTrigger, slot: Date? = nil, timeout: Duration? = nil, claim: String? = nil) async throws -> Int64 {
        let row = try await connection.query(Self.startSQL, [job, trigger.rawValue, slot, Self.hostName, Int(getpid()), timeout.map(\.inSeconds), claim])
        return try row.first!.decode(Int64.self, "id")
    }

    /// The `running` claim of (`job`, `slot`) made with `claim` by this process, if any: an attempt
    /// whose INSERT committed but whose reply was lost with its connection.
    package func ownClaim(job: String, slot: Date, claim: String) async throws -> Int64? {
        try await connection.query(Self.ownClaimSQL, [job, slot, Self.hostName, Int(getpid()), claim]).first?.decode(Int64.self, "id")
    }

    /// Records how a run ended.
    package func finish(id: Int64, status: JobRunStatus, details: JSONValue, error: String?) async throws {
        try await connection.query(Self.finishSQL, [id, status.rawValue, details.jsonString(), error])
    }

    /// Ends `running` rows whose run is gone as `interrupted`. A row is gone when no session of this
    /// database holds its job's advisory lock (every run holds it while it runs) and either its process
    /// has exited (the row names this host) or it started longer ago than its own timeout (any host).
    /// A run that lost its connection but still runs (its process is alive) is left alone: it records its
    /// own end when the database is back. A scheduler's slot claim is left alone for its first minute
    /// (it claims the slot just before it takes the lock). Such rows come from a killed process, a lost
    /// connection, or a database restored from a backup taken while the run ran. `ownJob`'s lock is the
    /// caller's, so that job's rows are judged by process and age alone. Returns how many were marked.
    @discardableResult
    package func markInterrupted(exceptRun: Int64?, ownJob: String? = nil) async throws -> Int {
        let jobs = try await connection.query(Self.runningJobsSQL).rows.map { try $0.decode(String.self, "job") }
        guard !jobs.isEmpty else { return 0 }
        let locks = JSONValue.array(jobs.map { ["job": .string($0), "key": .int(AdvisoryLockKey.forName("job:\($0)").value)] })
        let candidates = try await connection.query(Self.interruptCandidatesSQL, [exceptRun, ownJob, locks.jsonString()]).rows.map { row in
            (id: try row.decode(Int64.self, "id"), host: try row.decode(String.self, "host"),
             pid: try row.decode(Int.self, "pid"), expired: try row.decode(Bool.self, "expired"))
        }
        var marked = 0
        for candidate in candidates {
            let sameHost = candidate.host == Self.hostName
            let processGone = sameHost && Self.processIsGone(Int32(clamping: candidate.pid))
            guard processGone || candidate.expired else { continue }
            let reason = processGone ? "its process \(candidate.pid) on \(candidate.host) is gone"
                                     : "it ran longer than its timeout and no session holds its job's lock"
            marked += try await connection.query(Self.interruptSQL, [candidate.id, "interrupted: \(reason)"]).rows.count
        }
        return marked
    }

    /// Whether no process `pid` exists on this host (`kill(pid, 0)` fails with ESRCH).
    static func processIsGone(_ pid: Int32) -> Bool {
        guard pid > 0 else { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Records a run that did not start because another instance holds the job.
    package func recordSkipped(job: String, trigger: JobTrigger, slot: Date? = nil, reason: String) async throws {
        try await connection.query(Self.recordSkippedSQL, [job, trigger.rawValue, slot, Self.hostName, Int(getpid()), reason])
    }

    /// One stored run.
    package struct Run: Sendable, Codable {
        package let id: Int64
        package let job: String
        package let trigger: String
        package let status: String
        package let startedAt: Date
        package let finishedAt: Date?
        package let details: JSONValue
        package let error: String?
    }

    /// The newest runs, optionally of one job.
    package func recent(job: String? = nil, limit: Int = 20) async throws -> [Run] {
        let result = try await connection.query(Self.recentSQL, [job, limit])
        return try result.rows.map { row in
            let detailsText = try row.decode(String.self, "details")
            let details = (try? JSONDecoder().decode(JSONValue.self, from: Data(detailsText.utf8))) ?? .null
            return Run(id: try row.decode(Int64.self, "id"), job: try row.decode(String.self, "job"),
                       trigger: try row.decode(String.self, "trigger"), status: try row.decode(String.self, "status"),
                       startedAt: try row.decode(Date.self, "started_at"), finishedAt: try row.decode(Date?.self, "finished_at"),
                       details: details, error: try row.decode(String?.self, "error"))
        }
    }

    /// The status of the job's newest finished run (succeeded, warning or failed) other than `runID`.
    package func previousFinishedStatus(job: String, before runID: Int64) async throws -> JobRunStatus? {
        try await connection.query(Self.previousFinishedStatusSQL, [job, runID]).first
            .flatMap { try $0.decode(String.self, "status") }.flatMap(JobRunStatus.init(rawValue:))
    }

    static let hostName: String = ProcessInfo.processInfo.hostName
}
