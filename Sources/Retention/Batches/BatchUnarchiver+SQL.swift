extension BatchUnarchiver {
    static let archivedBatchSQL = """
        SELECT id, archived_at IS NOT NULL AS archived, archive_uri, archive_sha256 FROM public.batches WHERE batch_id = $1
        """

    static let restoreRequestsSQL = """
        INSERT INTO public.batch_requests OVERRIDING SYSTEM VALUE
        SELECT r.* FROM pg_temp.ops_unarchive_lines l
        CROSS JOIN LATERAL json_populate_record(NULL::public.batch_requests, l.line::json) r
        WHERE r.batch_id = $1
        ORDER BY r.id
        """

    static let restoredRequestsCheckSQL = """
        SELECT count(*) AS n,
               encode(sha256(convert_to(coalesce(string_agg(row_to_json(r)::text || E'\\n', '' ORDER BY r.id), ''), 'UTF8')), 'hex') AS sha256
        FROM public.batch_requests r WHERE r.batch_id = $1
        """
}
