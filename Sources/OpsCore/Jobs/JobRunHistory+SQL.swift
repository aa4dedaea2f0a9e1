extension JobRunHistory {
    static let startSQL = """
        INSERT INTO ops.job_runs (job, trigger, slot, host, pid, status)
        VALUES ($1, $2, $3, $4, $5, 'running') RETURNING id
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
        WHERE job = $1 AND id < $2 AND status IN ('succeeded', 'warning', 'failed')
        ORDER BY id DESC LIMIT 1
        """
}
