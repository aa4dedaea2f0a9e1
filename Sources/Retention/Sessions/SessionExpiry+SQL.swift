// SQL of session expiry. Every value is a bound parameter:
//   $1 batch size, $2 reference time (NULL: now()), $3/$4 the lowest (expires_at, id) the previous batch ended
//   at (NULL: from the start), $5 the only session ids to consider (bigint[]; NULL: any), $6 whether to
//   return the sender ids, $7/$8 the lowest (expires_at, id) to delete (NULL: down to the oldest).

extension SessionExpiry {
    /// Deletes one bounded batch of expired sessions with everything they own, in one statement.
    ///
    /// `FOR UPDATE SKIP LOCKED` picks only sessions no transaction holds, so a session the application
    /// is working on (or inserting children for: that takes a KEY SHARE lock on it) is left for the
    /// next run rather than waited for.
    ///
    /// The batches go from the most recently expired session backwards, each continuing below the
    /// previous one's last (expires_at, id) instead of rescanning, which would walk over the index
    /// entries of every session already deleted in this run. Backwards, not oldest first: expired
    /// sessions have the lowest ids, and on PostgreSQL before 16 the planner looks up the actual
    /// lowest value of an index for many queries (merge-join estimates of `sessions.id =
    /// files.session_id`, say), walking every dead entry at the index's low end until VACUUM removes
    /// them. Deleting oldest first grew that walk with every batch (58 ms of planning per application
    /// query after 700k sessions in the benchmark); deleting newest first leaves the dead entries in
    /// the middle of the indexes, where no such lookup goes, until the last batches. The children are deleted explicitly, so
    /// each table's count is exact and the foreign keys' cascades (which still fire) find nothing left;
    /// a child committed by a concurrent transaction after this statement's snapshot is removed by the
    /// cascade, uncounted. The ids travel as arrays so every child lookup is an index scan, whatever the
    /// planner thinks of the CTE's size. The sender ids come back (as a JSON array, $6 true) for cache
    /// invalidation.
    static let deleteBatchSQL = """
        WITH s AS (
            SELECT id, sender_id, expires_at
            FROM public.sessions
            WHERE expires_at < coalesce($2::timestamptz, now())
              AND ($3::timestamptz IS NULL OR (expires_at <= $3::timestamptz AND (expires_at, id) < ($3::timestamptz, $4::bigint)))
              AND ($5::bigint[] IS NULL OR id = ANY ($5::bigint[]))
              AND ($7::timestamptz IS NULL OR (expires_at >= $7::timestamptz AND (expires_at, id) >= ($7::timestamptz, $8::bigint)))
            ORDER BY expires_at DESC, id DESC
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ),
        ids AS (SELECT coalesce(array_agg(id), '{}') AS a FROM s),
        b AS (SELECT id FROM public.batches WHERE session_id = ANY ((SELECT a FROM ids)::bigint[])),
        dr AS (DELETE FROM public.batch_requests WHERE batch_id = ANY (ARRAY(SELECT id FROM b)) RETURNING 1),
        db AS (DELETE FROM public.batches WHERE id = ANY (ARRAY(SELECT id FROM b)) RETURNING 1),
        df AS (DELETE FROM public.files WHERE session_id = ANY ((SELECT a FROM ids)::bigint[]) RETURNING 1),
        dj AS (DELETE FROM public.translation_jobs WHERE session_id = ANY ((SELECT a FROM ids)::bigint[]) RETURNING 1),
        ds AS (DELETE FROM public.sessions WHERE id = ANY ((SELECT a FROM ids)::bigint[]) RETURNING sender_id)
        SELECT (SELECT count(*) FROM ds) AS sessions,
               (SELECT count(*) FROM dj) AS translation_jobs,
               (SELECT count(*) FROM df) AS files,
               (SELECT count(*) FROM db) AS batches,
               (SELECT count(*) FROM dr) AS batch_requests,
               CASE WHEN $6::boolean THEN (SELECT coalesce(json_agg(sender_id), '[]') FROM ds)::text END AS sender_ids,
               (SELECT s.expires_at::text FROM s ORDER BY s.expires_at, s.id LIMIT 1) AS last_expires_at,
               (SELECT s.id FROM s ORDER BY s.expires_at, s.id LIMIT 1) AS last_id
        """

    /// The next expired sessions below the cursor, unlocked: used to retry a contested batch one
    /// session at a time. $1–$4 as in `deleteBatchSQL`, $5/$6 the floor ($7/$8 there).
    static let candidatesSQL = """
        SELECT id, expires_at::text AS expires_at FROM public.sessions
        WHERE expires_at < coalesce($2::timestamptz, now())
          AND ($3::timestamptz IS NULL OR (expires_at <= $3::timestamptz AND (expires_at, id) < ($3::timestamptz, $4::bigint)))
          AND ($5::timestamptz IS NULL OR (expires_at >= $5::timestamptz AND (expires_at, id) >= ($5::timestamptz, $6::bigint)))
        ORDER BY expires_at DESC, id DESC
        LIMIT $1
        """

    /// The oldest expired session but $2: the floor of the first stretch when the run vacuums before
    /// deleting the oldest sessions. $1 reference time.
    static let floorSQL = """
        SELECT expires_at::text AS expires_at, id FROM public.sessions
        WHERE expires_at < coalesce($1::timestamptz, now())
        ORDER BY expires_at, id
        OFFSET $2 LIMIT 1
        """

    /// What a run would delete now (dry run): no locks, no changes. $1 reference time.
    static let countSQL = """
        WITH s AS (SELECT id FROM public.sessions WHERE expires_at < coalesce($1::timestamptz, now())),
        b AS (SELECT id FROM public.batches WHERE session_id IN (SELECT id FROM s))
        SELECT (SELECT count(*) FROM s) AS sessions,
               (SELECT count(*) FROM public.translation_jobs WHERE session_id IN (SELECT id FROM s)) AS translation_jobs,
               (SELECT count(*) FROM public.files WHERE session_id IN (SELECT id FROM s)) AS files,
               (SELECT count(*) FROM b) AS batches,
               (SELECT count(*) FROM public.batch_requests WHERE batch_id IN (SELECT id FROM b)) AS batch_requests
        """

    /// Expired sessions still present. $1 reference time.
    static let remainingSQL = """
        SELECT count(*) AS n FROM public.sessions WHERE expires_at < coalesce($1::timestamptz, now())
        """
}
