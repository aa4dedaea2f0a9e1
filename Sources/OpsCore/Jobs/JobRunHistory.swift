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
    package func start(job: String, trigger: JobTrigger, slot: Date? = nil) async throws -> Int64 {
        let row = try await connection.query(Self.startSQL, [job, trigger.rawValue, slot, Self.hostName, Int(getpid())])
        return try row.first!.decode(Int64.self, "id")
    }

    /// Records how a run ended.
    package func finish(id: Int64, status: JobRunStatus, details: JSONValue, error: String?) async throws {
        try await connection.query(Self.finishSQL, [id, status.rawValue, details.jsonString(), error])
    }

    /// Ends `running` rows whose run is gone: no session of this database holds their job's advisory
    /// lock (every run holds it while it runs; `ownJob`'s lock is ours, so its other rows are gone), and,
    /// for a scheduler's slot claim, started more than a minute ago (it claims the slot just before it
    /// takes the lock). They come from a killed process, or from the database
    /// being restored from a backup made while that backup ran. Marked `failed` with error
    /// `interrupted: …` and `details.interrupted = true`. Returns how many.
    @discardableResult
    public func markInterrupted(exceptRun: Int64?, ownJob: String? = nil) async throws -> Int {
        let jobs = try await connection.query("SELECT DISTINCT job FROM ops.job_runs WHERE status = 'running'").rows
            .map { try $0.decode(String.self, "job") }
        var marked = 0
        for job in jobs {
            let key = UInt64(bitPattern: AdvisoryLockKey.forName("job:\(job)").value)
            let result = try await connection.query("""
                UPDATE ops.job_runs
                   SET status = 'failed', finished_at = now(),
                       error = 'interrupted: the run''s process is gone (killed, or this database was restored from a backup taken while it ran)',
                       details = details || '{"interrupted": true}'::jsonb
                 WHERE status = 'running' AND job = $1 AND id IS DISTINCT FROM $2::bigint
                   AND (slot IS NULL OR started_at < now() - interval '1 minute')
                   AND ($5::text IS NOT DISTINCT FROM job OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                                    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                                      AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                                      AND l.classid = $3::bigint::oid AND l.objid = $4::bigint::oid))
                RETURNING id
                """, [job, exceptRun, Int64(key >> 32), Int64(key & 0xFFFF_FFFF), ownJob])
            marked += result.rows.count
        }
        return marked
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
