// The schema, as versioned SQL. Each migration runs in one transaction (simple query protocol), so the
// SQL holds several statements but never BEGIN/COMMIT, CREATE INDEX CONCURRENTLY or VACUUM.
// Never edit a migration that has shipped: the runner checksums it. Add v3, v4… instead.

extension Migration {
    /// All migrations in order. Versions are 1, 2, 3… without gaps.
    package static let all: [Migration] = [v1, v2, v3]

    /// `ops.schema_migrations`, which the runner creates before applying anything (it must exist to record
    /// migration 1) and which migration 1 also creates, idempotently: one text for both.
    static let bookkeepingSQL = #"""
    CREATE SCHEMA IF NOT EXISTS ops;

    CREATE TABLE IF NOT EXISTS ops.schema_migrations (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        checksum   text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    );
    """#

    /// The `ops` schema: migration bookkeeping and the history of job runs.
    /// Idempotent, because the runner creates `ops.schema_migrations` itself before applying anything.
    static let v1 = Migration(version: 1, name: "ops schema", sql: #"""
    \#(bookkeepingSQL)
    COMMENT ON TABLE ops.schema_migrations IS
        'Schema migrations applied by auto-i18n-ops (version, name, checksum of the SQL).';

    CREATE TABLE IF NOT EXISTS ops.job_runs (
        id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job         text        NOT NULL,
        trigger     text        NOT NULL CHECK (trigger IN ('schedule', 'cron', 'manual')),
        slot        timestamptz,
        host        text        NOT NULL,
        pid         integer     NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        status      text        NOT NULL
                    CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'warning')),
        details     jsonb       NOT NULL DEFAULT '{}',
        error       text
    );
    COMMENT ON TABLE ops.job_runs IS
        'One row per run of an ops job; slot is the scheduled slot a scheduler run claims (NULL for manual/cron runs).';
    COMMENT ON COLUMN ops.job_runs.slot IS
        'Scheduled slot claimed by this run; unique per job so each slot runs once across replicas.';

    CREATE UNIQUE INDEX IF NOT EXISTS job_runs_job_slot_key
        ON ops.job_runs (job, slot) WHERE slot IS NOT NULL;
    CREATE INDEX IF NOT EXISTS job_runs_job_started_at_idx
        ON ops.job_runs (job, started_at DESC);
    CREATE INDEX IF NOT EXISTS job_runs_started_at_idx
        ON ops.job_runs (started_at);
    """#)

    /// The auto-i18n application schema (public): sessions, jobs, files, OpenAI batches, statistics.
    static let v2 = Migration(version: 2, name: "application schema", sql: #"""
    CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger
        LANGUAGE plpgsql AS $fn$
    BEGIN
        NEW.updated_at = now();
        RETURN NEW;
    END;
    $fn$;
    COMMENT ON FUNCTION public.set_updated_at() IS
        'BEFORE UPDATE trigger: stamps updated_at with now().';

    -- sessions ------------------------------------------------------------------------------------
    CREATE TABLE public.sessions (
        id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sender_id      text        NOT NULL UNIQUE,
        session_type   text        NOT NULL CHECK (session_type IN ('upload', 'changes')),
        status         text        NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'processing', 'completed', 'failed', 'expired')),
        source_locale  text        NOT NULL,
        target_locales text[]      NOT NULL DEFAULT '{}',
        metadata       jsonb       NOT NULL DEFAULT '{}',
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL DEFAULT now() + interval '30 days'
    );
    COMMENT ON TABLE public.sessions IS
        'A client translation session (full upload or incremental changes); expired sessions are cleaned up with everything they own.';
    -- sender_id is indexed by its UNIQUE constraint.
    CREATE INDEX sessions_session_type_idx ON public.sessions (session_type);
    CREATE INDEX sessions_status_idx       ON public.sessions (status);
    CREATE INDEX sessions_expires_at_idx   ON public.sessions (expires_at);
    CREATE TRIGGER sessions_set_updated_at BEFORE UPDATE ON public.sessions
        FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

    -- translation_jobs ----------------------------------------------------------------------------
    CREATE TABLE public.translation_jobs (
        id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id     bigint      NOT NULL REFERENCES public.sessions (id) ON DELETE CASCADE,
        job_id         text        NOT NULL UNIQUE,
        job_type       text        NOT NULL,
        status         text        NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
        provider       text,
        model          text,
        source_locale  text,
        target_locales text[],
        progress       jsonb       NOT NULL DEFAULT '{}',
        error          text,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        started_at     timestamptz,
        completed_at   timestamptz
    );
    COMMENT ON TABLE public.translation_jobs IS
        'A translation job of a session (upload, changes or batch), with its provider, model and progress.';
    CREATE INDEX translation_jobs_session_id_idx ON public.translation_jobs (session_id);
    CREATE INDEX translation_jobs_status_idx     ON public.translation_jobs (status);
    CREATE TRIGGER translation_jobs_set_updated_at BEFORE UPDATE ON public.translation_jobs
        FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

    -- files ---------------------------------------------------------------------------------------
    CREATE TABLE public.files (
        id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id    bigint      NOT NULL REFERENCES public.sessions (id) ON DELETE CASCADE,
        job_id        bigint      REFERENCES public.translation_jobs (id) ON DELETE SET NULL,
        file_type     text        NOT NULL CHECK (file_type IN ('upload', 'translation', 'delta', 'original')),
        content_type  text        NOT NULL CHECK (content_type IN ('content', 'global', 'page')),
        locale        text        NOT NULL,
        relative_path text        NOT NULL,
        file_name     text        NOT NULL,
        format        text        NOT NULL CHECK (format IN ('markdown', 'json')),
        content       text        NOT NULL,
        content_hash  text,
        size_bytes    bigint,
        search_vector tsvector    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(content, ''))) STORED,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT files_session_type_locale_path_key UNIQUE (session_id, file_type, locale, relative_path)
    );
    COMMENT ON TABLE public.files IS
        'Markdown and JSON files of a session: uploads, originals, deltas and translations, with full-text search.';
    -- session_id is indexed by the leading column of files_session_type_locale_path_key.
    CREATE INDEX files_job_id_idx        ON public.files (job_id);
    CREATE INDEX files_search_vector_idx ON public.files USING gin (search_vector);
    CREATE TRIGGER files_set_updated_at BEFORE UPDATE ON public.files
        FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

    -- batches -------------------------------------------------------------------------------------
    CREATE TABLE public.batches (
        id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id      bigint      NOT NULL REFERENCES public.sessions (id) ON DELETE CASCADE,
        batch_id        text        NOT NULL UNIQUE,
        openai_batch_id text        UNIQUE,
        status          text        NOT NULL
                        CHECK (status IN ('pending', 'submitted', 'in_progress', 'completed',
                                          'failed', 'cancelled', 'expired')),
        provider        text,
        model           text,
        source_locale   text,
        target_locales  text[],
        request_count   integer     NOT NULL DEFAULT 0,
        completed_count integer     NOT NULL DEFAULT 0,
        failed_count    integer     NOT NULL DEFAULT 0,
        manifest        jsonb       NOT NULL DEFAULT '{}',
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        submitted_at    timestamptz,
        completed_at    timestamptz,
        archived_at     timestamptz,
        archive_uri     text,
        archive_sha256  text
    );
    COMMENT ON TABLE public.batches IS
        'An OpenAI Batch API submission and its counts; finished batches are archived after 7 days (archived_at, archive_uri, archive_sha256).';
    CREATE INDEX batches_session_id_idx ON public.batches (session_id);
    CREATE INDEX batches_status_idx     ON public.batches (status);
    -- Supports the archival query: finished, not yet archived, completed before a cutoff.
    CREATE INDEX batches_archivable_idx ON public.batches (completed_at)
        WHERE archived_at IS NULL AND status IN ('completed', 'failed', 'cancelled', 'expired');
    CREATE TRIGGER batches_set_updated_at BEFORE UPDATE ON public.batches
        FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

    -- batch_requests ------------------------------------------------------------------------------
    CREATE TABLE public.batch_requests (
        id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id   bigint      NOT NULL REFERENCES public.batches (id) ON DELETE CASCADE,
        custom_id  text        NOT NULL,
        request    jsonb       NOT NULL,
        response   jsonb,
        error      jsonb,
        status     text        NOT NULL DEFAULT 'pending',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT batch_requests_batch_custom_id_key UNIQUE (batch_id, custom_id)
    );
    COMMENT ON TABLE public.batch_requests IS
        'One line of a batch: the JSONL request and, once done, its response or error.';
    -- batch_id is indexed by the leading column of batch_requests_batch_custom_id_key.
    CREATE TRIGGER batch_requests_set_updated_at BEFORE UPDATE ON public.batch_requests
        FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

    -- views ---------------------------------------------------------------------------------------
    CREATE VIEW public.active_sessions AS
        SELECT s.*
        FROM public.sessions s
        WHERE s.expires_at > now() AND s.status <> 'expired';
    COMMENT ON VIEW public.active_sessions IS 'Sessions that have not expired.';

    CREATE VIEW public.batch_progress AS
        SELECT b.id,
               b.batch_id,
               b.openai_batch_id,
               b.session_id,
               b.status,
               b.model,
               b.request_count,
               b.completed_count,
               b.failed_count,
               CASE WHEN b.request_count > 0
                    THEN round(100.0 * (b.completed_count + b.failed_count) / b.request_count, 1)
                    ELSE 0
               END::numeric(5, 1) AS percent_complete,
               b.created_at,
               b.submitted_at,
               b.completed_at,
               b.archived_at
        FROM public.batches b;
    COMMENT ON VIEW public.batch_progress IS
        'Batches with their percentage of requests finished (completed or failed).';

    -- One row per session type; the unique index on session_type allows non-blocking (concurrent) refreshes.
    CREATE MATERIALIZED VIEW public.translation_stats AS
        WITH types (session_type) AS (VALUES ('upload'), ('changes')),
        s AS (
            SELECT session_type,
                   count(*) AS sessions_total,
                   count(*) FILTER (WHERE expires_at > now() AND status <> 'expired') AS sessions_active,
                   count(*) FILTER (WHERE expires_at <= now()) AS sessions_expired
            FROM public.sessions GROUP BY session_type
        ),
        j AS (
            SELECT s.session_type,
                   count(*) AS jobs_total,
                   count(*) FILTER (WHERE j.status = 'pending')    AS jobs_pending,
                   count(*) FILTER (WHERE j.status = 'processing') AS jobs_processing,
                   count(*) FILTER (WHERE j.status = 'completed')  AS jobs_completed,
                   count(*) FILTER (WHERE j.status = 'failed')     AS jobs_failed,
                   count(*) FILTER (WHERE j.status = 'cancelled')  AS jobs_cancelled
            FROM public.translation_jobs j JOIN public.sessions s ON s.id = j.session_id
            GROUP BY s.session_type
        ),
        f AS (
            SELECT s.session_type,
                   count(*) AS files_total,
                   count(*) FILTER (WHERE f.file_type = 'translation') AS files_translated,
                   coalesce(sum(coalesce(f.size_bytes, octet_length(f.content))), 0)::bigint AS file_bytes
            FROM public.files f JOIN public.sessions s ON s.id = f.session_id
            GROUP BY s.session_type
        ),
        b AS (
            SELECT s.session_type,
                   count(*) AS batches_total,
                   count(*) FILTER (WHERE b.status IN ('pending', 'submitted', 'in_progress')) AS batches_open,
                   count(*) FILTER (WHERE b.status = 'completed') AS batches_completed,
                   count(*) FILTER (WHERE b.status IN ('failed', 'cancelled', 'expired')) AS batches_unsuccessful,
                   count(*) FILTER (WHERE b.archived_at IS NOT NULL) AS batches_archived
            FROM public.batches b JOIN public.sessions s ON s.id = b.session_id
            GROUP BY s.session_type
        ),
        r AS (
            SELECT s.session_type, count(*) AS batch_requests_total
            FROM public.batch_requests r
            JOIN public.batches b ON b.id = r.batch_id
            JOIN public.sessions s ON s.id = b.session_id
            GROUP BY s.session_type
        )
        SELECT t.session_type,
               coalesce(s.sessions_total, 0)       AS sessions_total,
               coalesce(s.sessions_active, 0)      AS sessions_active,
               coalesce(s.sessions_expired, 0)     AS sessions_expired,
               coalesce(j.jobs_total, 0)           AS jobs_total,
               coalesce(j.jobs_pending, 0)         AS jobs_pending,
               coalesce(j.jobs_processing, 0)      AS jobs_processing,
               coalesce(j.jobs_completed, 0)       AS jobs_completed,
               coalesce(j.jobs_failed, 0)          AS jobs_failed,
               coalesce(j.jobs_cancelled, 0)       AS jobs_cancelled,
               coalesce(f.files_total, 0)          AS files_total,
               coalesce(f.files_translated, 0)     AS files_translated,
               coalesce(f.file_bytes, 0)           AS file_bytes,
               coalesce(b.batches_total, 0)        AS batches_total,
               coalesce(b.batches_open, 0)         AS batches_open,
               coalesce(b.batches_completed, 0)    AS batches_completed,
               coalesce(b.batches_unsuccessful, 0) AS batches_unsuccessful,
               coalesce(b.batches_archived, 0)     AS batches_archived,
               coalesce(r.batch_requests_total, 0) AS batch_requests_total,
               now()                               AS refreshed_at
        FROM types t
        LEFT JOIN s USING (session_type)
        LEFT JOIN j USING (session_type)
        LEFT JOIN f USING (session_type)
        LEFT JOIN b USING (session_type)
        LEFT JOIN r USING (session_type);
    COMMENT ON MATERIALIZED VIEW public.translation_stats IS
        'Dashboard statistics per session type (unique on session_type, so it can be refreshed without blocking readers).';
    CREATE UNIQUE INDEX translation_stats_session_type_key ON public.translation_stats (session_type);
    """#)
}

extension Migration {
    /// Run status `interrupted` (a `running` row whose run is gone: its job's lock is free and its process
    /// has exited on this host, or it is older than its timeout) and each run's own timeout, which that
    /// judgement needs for runs of other hosts. Rows the older mechanism ended as `failed` with
    /// `details.interrupted` become `interrupted`.
    static let v3 = Migration(version: 3, name: "interrupted runs", sql: #"""
    ALTER TABLE ops.job_runs DROP CONSTRAINT IF EXISTS job_runs_status_check;
    ALTER TABLE ops.job_runs ADD CONSTRAINT job_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'warning', 'interrupted'));
    ALTER TABLE ops.job_runs ADD COLUMN IF NOT EXISTS timeout interval;
    COMMENT ON COLUMN ops.job_runs.timeout IS
        'The run''s timeout (NULL: none); a running row older than it whose job lock is free is interrupted.';
    UPDATE ops.job_runs SET status = 'interrupted'
     WHERE status = 'failed' AND details @> '{"interrupted": true}'::jsonb;
    """#)
}
