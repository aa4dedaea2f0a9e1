// SQL of session expiry. Every value is a bound parameter:
//   $1 batch size, $2 session ids to leave alone (bigint[]), $3 reference time (NULL: now()),
//   $4 the only session ids to consider (bigint[]; NULL: any).

extension SessionExpiry {
    /// Deletes one bounded batch of expired sessions with everything they own, in one statement.
    ///
    /// `FOR UPDATE SKIP LOCKED` picks only sessions no transaction holds, so a session the application
    /// is working on (or inserting children for: that takes a KEY SHARE lock on it) is left for the
    /// next run rather than waited for. The children are deleted explicitly so each table's count is
    /// exact; the foreign keys' ON DELETE CASCADE then finds nothing left to do (it still removes
    /// children committed by a concurrent transaction after this statement's snapshot, uncounted).
    /// The sender ids come back for cache invalidation.
    static let deleteBatchSQL = """
        WITH s AS (
            SELECT id, sender_id
            FROM public.sessions
            WHERE expires_at < coalesce($3::timestamptz, now()) AND id <> ALL ($2::bigint[])
              AND ($4::bigint[] IS NULL OR id = ANY ($4::bigint[]))
            ORDER BY expires_at, id
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ),
        dr AS (
            DELETE FROM public.batch_requests
            WHERE batch_id IN (SELECT b.id FROM public.batches b WHERE b.session_id IN (SELECT id FROM s))
            RETURNING 1
        ),
        db AS (DELETE FROM public.batches WHERE session_id IN (SELECT id FROM s) RETURNING 1),
        df AS (DELETE FROM public.files WHERE session_id IN (SELECT id FROM s) RETURNING 1),
        dj AS (DELETE FROM public.translation_jobs WHERE session_id IN (SELECT id FROM s) RETURNING 1),
        ds AS (DELETE FROM public.sessions WHERE id IN (SELECT id FROM s) RETURNING sender_id)
        SELECT (SELECT count(*) FROM ds) AS sessions,
               (SELECT count(*) FROM dj) AS translation_jobs,
               (SELECT count(*) FROM df) AS files,
               (SELECT count(*) FROM db) AS batches,
               (SELECT count(*) FROM dr) AS batch_requests,
               (SELECT coalesce(array_agg(sender_id), '{}') FROM ds) AS sender_ids
        """

    /// The next expired session ids, unlocked: used to retry a contested batch one session at a time.
    static let candidatesSQL = """
        SELECT id FROM public.sessions
        WHERE expires_at < coalesce($3::timestamptz, now()) AND id <> ALL ($2::bigint[])
        ORDER BY expires_at, id
        LIMIT $1
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
