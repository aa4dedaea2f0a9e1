/// The SQL of one session's import. Staging tables are per connection (`ON COMMIT DELETE ROWS`);
/// each upsert is one statement per table per session, keyed on the schema's natural keys, and
/// updates a row only when a mapped column changed (`IS DISTINCT FROM`), so a re-run touches nothing.
enum ImportSQL {
    static let createStaging = """
    CREATE TEMP TABLE IF NOT EXISTS legacy_stage_files (
        file_type text, content_type text, locale text, relative_path text, file_name text, format text,
        content text, content_hash text, size_bytes bigint, source text) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS legacy_stage_input (
        batch_key text, custom_id text, request jsonb, source text, line integer) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS legacy_stage_result (
        batch_key text, custom_id text, response jsonb, error jsonb, status text, source text, line integer) ON COMMIT DELETE ROWS;
    """

    static let copyFiles = "COPY legacy_stage_files FROM STDIN"
    static let copyInput = "COPY legacy_stage_input FROM STDIN"
    static let copyResults = "COPY legacy_stage_result FROM STDIN"

    static let existingSession = """
    SELECT id, (metadata ? 'legacy_import') AS ours FROM public.sessions WHERE sender_id = $1 FOR UPDATE
    """

    // Duplicate natural keys, reported with the files (and lines) that repeat them.
    static let duplicateFile = """
    SELECT file_type, locale, relative_path, string_agg(source, ', ' ORDER BY source) AS sources
    FROM legacy_stage_files GROUP BY file_type, locale, relative_path HAVING count(*) > 1 LIMIT 1
    """
    static let duplicateInput = """
    SELECT custom_id, min(source) AS source, (array_agg(line ORDER BY line))[2] AS line
    FROM legacy_stage_input GROUP BY batch_key, custom_id HAVING count(*) > 1 LIMIT 1
    """
    static let duplicateResult = """
    SELECT custom_id, string_agg(source || ' line ' || line, ', ' ORDER BY source, line) AS places,
           max(source) AS source, max(line) AS line
    FROM legacy_stage_result GROUP BY batch_key, custom_id HAVING count(*) > 1 LIMIT 1
    """
    static let orphanResult = """
    SELECT r.custom_id, r.source, r.line FROM legacy_stage_result r
    WHERE NOT EXISTS (SELECT 1 FROM legacy_stage_input i WHERE i.batch_key = r.batch_key AND i.custom_id = r.custom_id)
    ORDER BY r.source, r.line LIMIT 1
    """

    static let upsertSession = """
    WITH up AS (
        INSERT INTO public.sessions AS t (sender_id, session_type, status, source_locale, target_locales, metadata,
                                          created_at, updated_at, expires_at)
        VALUES ($1, $2, $3, $4, $5::text[], $6::jsonb, $7::timestamptz, $8::timestamptz, $9::timestamptz)
        ON CONFLICT (sender_id) DO UPDATE SET
            session_type = EXCLUDED.session_type, status = EXCLUDED.status, source_locale = EXCLUDED.source_locale,
            target_locales = EXCLUDED.target_locales, metadata = EXCLUDED.metadata, created_at = EXCLUDED.created_at,
            expires_at = EXCLUDED.expires_at
        WHERE t.metadata ? 'legacy_import'
          AND (t.session_type, t.status, t.source_locale, t.target_locales, t.metadata, t.created_at, t.expires_at)
              IS DISTINCT FROM (EXCLUDED.session_type, EXCLUDED.status, EXCLUDED.source_locale, EXCLUDED.target_locales,
                                EXCLUDED.metadata, EXCLUDED.created_at, EXCLUDED.expires_at)
        RETURNING t.id, (t.xmax = 0) AS inserted)
    SELECT id, inserted FROM up
    UNION ALL
    SELECT id, NULL FROM public.sessions WHERE sender_id = $1 AND NOT EXISTS (SELECT 1 FROM up)
    """

    static let jobRecord = """
    job_id text, job_type text, status text, provider text, model text, source_locale text, target_locales text[],
    progress jsonb, error text, created_at timestamptz, updated_at timestamptz, started_at timestamptz, completed_at timestamptz
    """

    static let jobElsewhere = """
    SELECT j.job_id, s.sender_id FROM jsonb_to_recordset($2::jsonb) AS j(job_id text)
    JOIN public.translation_jobs t ON t.job_id = j.job_id JOIN public.sessions s ON s.id = t.session_id
    WHERE t.session_id <> $1 LIMIT 1
    """

    static let upsertJobs = """
    WITH up AS (
        INSERT INTO public.translation_jobs AS t (session_id, job_id, job_type, status, provider, model, source_locale,
            target_locales, progress, error, created_at, updated_at, started_at, completed_at)
        SELECT $1, j.job_id, j.job_type, j.status, j.provider, j.model, j.source_locale, j.target_locales,
               j.progress, j.error, j.created_at, j.updated_at, j.started_at, j.completed_at
        FROM jsonb_to_recordset($2::jsonb) AS j(\(jobRecord))
        ON CONFLICT (job_id) DO UPDATE SET
            job_type = EXCLUDED.job_type, status = EXCLUDED.status, provider = EXCLUDED.provider, model = EXCLUDED.model,
            source_locale = EXCLUDED.source_locale, target_locales = EXCLUDED.target_locales, progress = EXCLUDED.progress,
            error = EXCLUDED.error, created_at = EXCLUDED.created_at, started_at = EXCLUDED.started_at,
            completed_at = EXCLUDED.completed_at
        WHERE t.session_id = EXCLUDED.session_id
          AND (t.job_type, t.status, t.provider, t.model, t.source_locale, t.target_locales, t.progress, t.error,
               t.created_at, t.started_at, t.completed_at)
              IS DISTINCT FROM (EXCLUDED.job_type, EXCLUDED.status, EXCLUDED.provider, EXCLUDED.model, EXCLUDED.source_locale,
               EXCLUDED.target_locales, EXCLUDED.progress, EXCLUDED.error, EXCLUDED.created_at, EXCLUDED.started_at,
               EXCLUDED.completed_at)
        RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up
    """

    static let batchRecord = """
    batch_id text, openai_batch_id text, status text, provider text, model text, source_locale text, target_locales text[],
    request_count integer, completed_count integer, failed_count integer, manifest jsonb, created_at timestamptz,
    submitted_at timestamptz, completed_at timestamptz
    """

    static let batchElsewhere = """
    SELECT b.batch_id, s.sender_id FROM jsonb_to_recordset($2::jsonb) AS b(batch_id text, openai_batch_id text)
    JOIN public.batches t ON t.batch_id = b.batch_id OR t.openai_batch_id = b.openai_batch_id
    JOIN public.sessions s ON s.id = t.session_id
    WHERE t.session_id <> $1 LIMIT 1
    """

    static let upsertBatches = """
    WITH up AS (
        INSERT INTO public.batches AS t (session_id, batch_id, openai_batch_id, status, provider, model, source_locale,
            target_locales, request_count, completed_count, failed_count, manifest, created_at, submitted_at, completed_at)
        SELECT $1, b.batch_id, b.openai_batch_id, b.status, b.provider, b.model, b.source_locale, b.target_locales,
               coalesce(b.request_count, (SELECT count(*) FROM legacy_stage_input i WHERE i.batch_key = b.batch_id)),
               coalesce(b.completed_count, (SELECT count(*) FROM legacy_stage_result r
                                            WHERE r.batch_key = b.batch_id AND r.status = 'completed')),
               coalesce(b.failed_count, (SELECT count(*) FROM legacy_stage_result r
                                         WHERE r.batch_key = b.batch_id AND r.status = 'failed')),
               b.manifest, b.created_at, b.submitted_at, b.completed_at
        FROM jsonb_to_recordset($2::jsonb) AS b(\(batchRecord))
        ON CONFLICT (batch_id) DO UPDATE SET
            openai_batch_id = EXCLUDED.openai_batch_id, status = EXCLUDED.status, provider = EXCLUDED.provider,
            model = EXCLUDED.model, source_locale = EXCLUDED.source_locale, target_locales = EXCLUDED.target_locales,
            request_count = EXCLUDED.request_count, completed_count = EXCLUDED.completed_count,
            failed_count = EXCLUDED.failed_count, manifest = EXCLUDED.manifest, created_at = EXCLUDED.created_at,
            submitted_at = EXCLUDED.submitted_at, completed_at = EXCLUDED.completed_at
        WHERE t.session_id = EXCLUDED.session_id
          AND (t.openai_batch_id, t.status, t.provider, t.model, t.source_locale, t.target_locales, t.request_count,
               t.completed_count, t.failed_count, t.manifest, t.created_at, t.submitted_at, t.completed_at)
              IS DISTINCT FROM (EXCLUDED.openai_batch_id, EXCLUDED.status, EXCLUDED.provider, EXCLUDED.model,
               EXCLUDED.source_locale, EXCLUDED.target_locales, EXCLUDED.request_count, EXCLUDED.completed_count,
               EXCLUDED.failed_count, EXCLUDED.manifest, EXCLUDED.created_at, EXCLUDED.submitted_at, EXCLUDED.completed_at)
        RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up
    """

    static let upsertRequests = """
    WITH up AS (
        INSERT INTO public.batch_requests AS t (batch_id, custom_id, request, response, error, status)
        SELECT b.id, i.custom_id, i.request, r.response, r.error, coalesce(r.status, 'pending')
        FROM legacy_stage_input i
        JOIN public.batches b ON b.batch_id = i.batch_key AND b.session_id = $1
        LEFT JOIN legacy_stage_result r ON r.batch_key = i.batch_key AND r.custom_id = i.custom_id
        ON CONFLICT (batch_id, custom_id) DO UPDATE SET
            request = EXCLUDED.request, response = EXCLUDED.response, error = EXCLUDED.error, status = EXCLUDED.status
        WHERE (t.request, t.response, t.error, t.status)
              IS DISTINCT FROM (EXCLUDED.request, EXCLUDED.response, EXCLUDED.error, EXCLUDED.status)
        RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up
    """

    static let upsertFiles = """
    WITH up AS (
        INSERT INTO public.files AS t (session_id, file_type, content_type, locale, relative_path, file_name, format,
                                       content, content_hash, size_bytes)
        SELECT $1, s.file_type, s.content_type, s.locale, s.relative_path, s.file_name, s.format, s.content,
               s.content_hash, s.size_bytes
        FROM legacy_stage_files s
        ON CONFLICT ON CONSTRAINT files_session_type_locale_path_key DO UPDATE SET
            content_type = EXCLUDED.content_type, file_name = EXCLUDED.file_name, format = EXCLUDED.format,
            content = EXCLUDED.content, content_hash = EXCLUDED.content_hash, size_bytes = EXCLUDED.size_bytes
        WHERE (t.content_type, t.file_name, t.format, t.content_hash, t.size_bytes)
              IS DISTINCT FROM (EXCLUDED.content_type, EXCLUDED.file_name, EXCLUDED.format, EXCLUDED.content_hash,
                                EXCLUDED.size_bytes)
        RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up
    """

    // --verify: what the tree holds that the database does not (the database's own content is hashed).
    static let verifyJobs = """
    SELECT j.job_id, CASE WHEN t.id IS NULL THEN 'missing' ELSE 'status is ' || t.status || ', tree says ' || j.status END AS problem
    FROM jsonb_to_recordset($2::jsonb) AS j(job_id text, status text)
    LEFT JOIN public.translation_jobs t ON t.job_id = j.job_id AND t.session_id = $1
    WHERE t.id IS NULL OR t.status <> j.status ORDER BY j.job_id LIMIT $3
    """
    static let verifyBatches = """
    SELECT b.batch_id, CASE WHEN t.id IS NULL THEN 'missing' ELSE 'status is ' || t.status || ', tree says ' || b.status END AS problem
    FROM jsonb_to_recordset($2::jsonb) AS b(batch_id text, status text)
    LEFT JOIN public.batches t ON t.batch_id = b.batch_id AND t.session_id = $1
    WHERE t.id IS NULL OR t.status <> b.status ORDER BY b.batch_id LIMIT $3
    """
    static let verifyFiles = """
    SELECT s.source, CASE WHEN f.id IS NULL THEN 'missing'
                          ELSE 'content differs (SHA-256 in the database ' || left(encode(sha256(convert_to(f.content, 'UTF8')), 'hex'), 12)
                               || '…, in the tree ' || left(s.content_hash, 12) || '…)' END AS problem
    FROM legacy_stage_files s
    LEFT JOIN public.files f ON f.session_id = $1 AND f.file_type = s.file_type AND f.locale = s.locale
                            AND f.relative_path = s.relative_path
    WHERE f.id IS NULL OR encode(sha256(convert_to(f.content, 'UTF8')), 'hex') <> s.content_hash
    ORDER BY s.source LIMIT $2
    """
    static let verifyRequests = """
    SELECT i.source || ' line ' || i.line || ' (custom_id ' || i.custom_id || ')' AS source,
           CASE WHEN q.id IS NULL THEN 'missing'
                ELSE 'status is ' || q.status || ', tree says ' || coalesce(r.status, 'pending') END AS problem
    FROM legacy_stage_input i
    LEFT JOIN legacy_stage_result r ON r.batch_key = i.batch_key AND r.custom_id = i.custom_id
    LEFT JOIN public.batches b ON b.batch_id = i.batch_key AND b.session_id = $1
    LEFT JOIN public.batch_requests q ON q.batch_id = b.id AND q.custom_id = i.custom_id
    WHERE q.id IS NULL OR q.status <> coalesce(r.status, 'pending')
    ORDER BY i.source, i.line LIMIT $2
    """
}
