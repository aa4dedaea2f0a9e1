// SQL of batch archival. Values are bound parameters; the batch id that COPY (which takes no
// parameters) needs travels in a transaction-local setting set with a bound set_config.

extension BatchArchiver {
    /// Batches due for archival, oldest first. $1 reference time (NULL: now()), $2 days, $3 limit,
    /// $4 batch ids to leave alone (bigint[]). Served by the partial index batches_archivable_idx.
    static let candidatesSQL = """
        SELECT id, batch_id, to_char(completed_at AT TIME ZONE 'UTC', 'YYYY/MM') AS year_month
        FROM public.batches
        WHERE archived_at IS NULL
          AND status IN ('completed', 'failed', 'cancelled', 'expired')
          AND completed_at < coalesce($1::timestamptz, now()) - make_interval(days => $2)
          AND id <> ALL ($4::bigint[])
        ORDER BY completed_at, id
        LIMIT $3
        """

    /// Size of `requests.jsonl` for one batch (in the same snapshot as the COPY that follows), and how
    /// many rows hold the JSON value `null` in a jsonb column: `row_to_json` prints that exactly like SQL
    /// NULL, so such a batch could not be restored exactly and is not archived. $1 batches.id.
    static let sizeSQL = """
        SELECT count(*) AS n, coalesce(sum(octet_length(row_to_json(r)::text) + 1), 0) AS bytes,
               count(*) FILTER (WHERE \(jsonNullCondition("r"))) AS json_nulls
        FROM public.batch_requests r WHERE r.batch_id = $1
        """

    /// True for a row whose jsonb columns hold a JSON `null` (as opposed to SQL NULL).
    static func jsonNullCondition(_ alias: String) -> String {
        ["request", "response", "error"].map { "jsonb_typeof(\(alias).\($0)) = 'null'" }.joined(separator: " OR ")
    }

    static let setBatchSQL = "SELECT set_config('auto_i18n_ops.batch', $1, true)"

    /// The JSON Lines, raw: CSV with a quote and a delimiter that JSON text never contains unescaped
    /// (control characters are always escaped in JSON), so each row is the JSON text and a newline.
    static let copySQL = """
        COPY (SELECT row_to_json(r)::text FROM public.batch_requests r
              WHERE r.batch_id = current_setting('auto_i18n_ops.batch')::bigint ORDER BY r.id)
        TO STDOUT (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
        """

    /// Locks the batch row if nobody holds it and it is still unarchived. $1 batches.id.
    static let lockSQL = """
        SELECT id FROM public.batches WHERE id = $1 AND archived_at IS NULL FOR UPDATE SKIP LOCKED
        """

    /// Deletes the requests and returns the count and SHA-256 of exactly the lines the archive holds,
    /// so the transaction can prove the archive matches what it deletes. $1 batches.id.
    static let deleteSQL = """
        WITH d AS (DELETE FROM public.batch_requests r WHERE r.batch_id = $1 RETURNING r.*)
        SELECT count(*) AS n, count(*) FILTER (WHERE \(jsonNullCondition("d"))) AS json_nulls,
               encode(sha256(convert_to(coalesce(string_agg(row_to_json(d)::text || E'\\n', '' ORDER BY d.id), ''), 'UTF8')), 'hex') AS sha256
        FROM d
        """

    /// $1 batches.id, $2 archive_uri, $3 archive_sha256.
    static let markSQL = """
        UPDATE public.batches SET archived_at = now(), archive_uri = $2, archive_sha256 = $3 WHERE id = $1
        """

    /// Dry run: batches and requests a run would archive. $1 reference time, $2 days.
    static let countSQL = """
        WITH b AS (
            SELECT id FROM public.batches
            WHERE archived_at IS NULL AND status IN ('completed', 'failed', 'cancelled', 'expired')
              AND completed_at < coalesce($1::timestamptz, now()) - make_interval(days => $2)
        )
        SELECT (SELECT count(*) FROM b) AS batches,
               (SELECT count(*) FROM public.batch_requests WHERE batch_id IN (SELECT id FROM b)) AS requests
        """

    /// Deletes batch rows archived more than $2 days before $1 (the optional "manual cleanup" policy),
    /// a page at a time, skipping rows the application holds. $3 limit.
    static let deleteArchivedSQL = """
        WITH b AS (
            SELECT id FROM public.batches
            WHERE archived_at < coalesce($1::timestamptz, now()) - make_interval(days => $2)
            ORDER BY archived_at, id
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        ),
        dr AS (DELETE FROM public.batch_requests WHERE batch_id IN (SELECT id FROM b) RETURNING 1),
        db AS (DELETE FROM public.batches WHERE id IN (SELECT id FROM b) RETURNING 1)
        SELECT (SELECT count(*) FROM db) AS batches, (SELECT count(*) FROM dr) AS batch_requests
        """
}
