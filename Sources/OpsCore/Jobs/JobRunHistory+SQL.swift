extension JobRunHistory {
    static let startSQL = """
        INSERT INTO ops.job_runs (job, trigger, slot, host, pid, status, timeout, details)
        VALUES ($1, $2, $3, $4, $5, 'running', make_interval(secs => $6::float8),
                CASE WHEN $7::text IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('claim', $7::text) END) RETURNING id
        """

    static let ownClaimSQL = """
        SELECT id FROM ops.job_runs WHERE job = $1 AND slot = $2 AND host = $3 AND pid = $4 AND status = 'running'
          AND details ->> 'claim' = $5
        """

    static let finishSQL = """
        UPDATE ops.job_runs SET finished_at = now(), status = $2, details = $3::jsonb, error = $4 WHERE id = $1
        """

    static let recordSkippedSQL = """
        INSERT INTO ops.job_runs (job, trigger, slot, host, pid, status, finished_at, details)
        VALUES ($1, $2, $3, $4, $5, 'skipped', now(), jsonb_build_object('reason', $6::text))
        """

    static let recentSQL = """
        SELECT id, job, trigger, status, started_at, finished_at, details::text AS details, error
        FROM ops.job_runs WHERE ($1::text IS NULL OR job = $1) ORDER BY started_at DESC, id DESC LIMIT $2
        """

    static let previousFinishedStatusSQL = """
        SELECT status FROM ops.job_runs
        WHERE job = $1 AND id < $2 AND status IN ('succeeded', 'warning', 'failed', 'interrupted')
        ORDER BY id DESC LIMIT 1
        """

    static let runningJobsSQL = "SELECT DISTINCT job FROM ops.job_runs WHERE status = 'running'"

    /// `running` rows (other than `$1`) whose job's advisory lock (`$3`: `[{job, key}]`) no
    /// session of this database holds (`$2`'s lock is the caller's own: its rows are candidates), slot
    /// claims only after a minute; `expired` when the row is older than its timeout.
    static let interruptCandidatesSQL = """
        SELECT r.id, r.host, r.pid, coalesce(r.started_at + r.timeout < now(), false) AS expired
          FROM ops.job_runs r
          JOIN jsonb_to_recordset($3::jsonb) AS ops_lock (job text, key int8) ON ops_lock.job = r.job
         WHERE r.status = 'running' AND r.id IS DISTINCT FROM $1::bigint
           AND (r.slot IS NULL OR r.started_at < now() - interval '1 minute')
           AND (r.job IS NOT DISTINCT FROM $2::text OR NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_locks l
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                   AND ((l.classid::int8 << 32) | l.objid::int8) = ops_lock.key))
        """

    /// Ends one candidate as `interrupted`, unless it ended meanwhile.
    static let interruptSQL = """
        UPDATE ops.job_runs
           SET status = 'interrupted', finished_at = now(), error = $2, details = details || '{"interrupted": true}'::jsonb
         WHERE id = $1 AND status = 'running'
        RETURNING id
        """
}
