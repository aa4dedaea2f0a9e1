extension MetricsQueries {
    static let startTrackerSQL = """
        SELECT coalesce((SELECT min(id) FROM ops.job_runs WHERE started_at > least(now(), $1) - interval '2 minutes'),
                        (SELECT coalesce(max(id), 0) + 1 FROM ops.job_runs)) AS watermark,
               coalesce((SELECT array_agg(id) FROM ops.job_runs WHERE status = 'running'), '{}') AS running
        """

    static let countNewRunsSQL = """
        SELECT id, job, status,
               extract(epoch FROM finished_at - started_at)::float8 AS duration,
               details->>'reason' AS reason,
               CASE WHEN job = 'retention' AND status IN ('succeeded', 'warning') THEN details::text END AS details,
               started_at > now() - interval '2 minutes' AS recent,
               coalesce(finished_at < $3, false) AS before_start
        FROM ops.job_runs
        WHERE id >= $1 OR id = ANY($2::bigint[])
        ORDER BY id
        """

    static let jobGaugesSQL = """
        SELECT j.job,
               extract(epoch FROM lr.finished_at)::float8 AS last_run,
               extract(epoch FROM lr.finished_at - lr.started_at)::float8 AS last_duration,
               extract(epoch FROM ls.finished_at)::float8 AS last_success,
               extract(epoch FROM ls.finished_at - ls.started_at)::float8 AS success_duration,
               CASE WHEN j.job IN ('backup', 'snapshot', 'cache-stats') THEN ls.details::text END AS details,
               (SELECT count(*) FROM ops.job_runs f
                WHERE f.job = j.job AND f.status IN ('failed', 'interrupted') AND f.started_at > coalesce(ls.started_at, '-infinity')) AS failures
        FROM unnest($1::text[]) AS j(job)
        LEFT JOIN LATERAL (SELECT started_at, finished_at FROM ops.job_runs
                           WHERE job = j.job AND status IN ('succeeded', 'warning', 'failed', 'interrupted')
                           ORDER BY started_at DESC LIMIT 1) lr ON true
        LEFT JOIN LATERAL (SELECT started_at, finished_at, details FROM ops.job_runs
                           WHERE job = j.job AND status IN ('succeeded', 'warning')
                           ORDER BY started_at DESC LIMIT 1) ls ON true
        """

    static let heldJobLocksSQL = """
        SELECT ((classid::bigint << 32) | objid::bigint) AS key
        FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """

    static let applicationGaugesSQL = """
        SELECT (SELECT count(*) FROM public.sessions WHERE expires_at < now()) AS expired,
               (SELECT count(*) FROM public.batches
                WHERE archived_at IS NULL AND status IN ('completed', 'failed', 'cancelled', 'expired')
                  AND completed_at < now() - make_interval(days => $1)) AS archivable,
               pg_total_relation_size('public.sessions') AS sessions,
               pg_total_relation_size('public.translation_jobs') AS translation_jobs,
               pg_total_relation_size('public.files') AS files,
               pg_total_relation_size('public.batches') AS batches,
               pg_total_relation_size('public.batch_requests') AS batch_requests,
               pg_total_relation_size('ops.job_runs') AS ops_job_runs
        """
}
