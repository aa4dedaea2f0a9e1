// Demo data for the application schema (migration 2): sessions, jobs, files, OpenAI batches.
// Deterministic (no random()), and safe to run twice: every insert is ON CONFLICT DO NOTHING on a
// natural key (sender_id, job_id, file path, batch_id, custom_id). All demo rows are recognisable by
// the `demo-` prefix of their keys. Timestamps are relative to now():
//   * sessions 001–050 are live (expire in 7–30 days), 051–080 expired 4–33 days ago;
//     odd numbers are 'upload' sessions, even numbers 'changes' sessions;
//   * batches 001–012 finished 10–21 days ago and are not archived (due for 7-day archival),
//     013–014 are already archived, 015–020 are recent or still running,
//     021–026 belong to expired sessions (finished long ago, not archived).

package enum DemoSeedSQL {
    package static let sql = #"""
    -- sessions ------------------------------------------------------------------------------------
    INSERT INTO public.sessions
        (sender_id, session_type, status, source_locale, target_locales, metadata,
         created_at, updated_at, expires_at)
    SELECT format('demo-sender-%s', lpad(g.i::text, 3, '0')),
           g.session_type,
           g.status,
           g.source_locale,
           g.target_locales,
           jsonb_build_object(
               'demo', true,
               'project', g.project,
               'repository', 'github.com/acme/' || g.project,
               'branch', CASE WHEN g.session_type = 'changes' THEN format('feature/copy-update-%s', g.i) ELSE 'main' END,
               'client', format('auto-i18n-cli/1.4.%s', g.i % 3)),
           g.created_at,
           least(now(), g.created_at + interval '7 minutes' * (1 + g.i % 5)),
           g.created_at + interval '30 days'
    FROM (
        SELECT i,
               CASE WHEN i % 2 = 1 THEN 'upload' ELSE 'changes' END AS session_type,
               CASE
                   WHEN i > 50 THEN CASE WHEN i % 3 = 0 THEN 'completed' ELSE 'expired' END
                   WHEN i <= 10 THEN CASE WHEN i % 4 = 0 THEN 'processing' ELSE 'active' END
                   WHEN i % 9 = 0 THEN 'failed'
                   WHEN i % 7 = 0 THEN 'active'
                   ELSE 'completed'
               END AS status,
               CASE WHEN i % 10 = 0 THEN 'de' ELSE 'en' END AS source_locale,
               CASE
                   WHEN i % 10 = 0 THEN '{en,fr}'::text[]
                   WHEN i % 4 = 0 THEN '{fr,de,es}'::text[]
                   WHEN i % 4 = 1 THEN '{fr,de,es,it,ja}'::text[]
                   WHEN i % 4 = 2 THEN '{zh-CN,ja,ko}'::text[]
                   ELSE '{pt-BR,es}'::text[]
               END AS target_locales,
               (ARRAY['docs-site', 'marketing-web', 'mobile-app', 'dashboard'])[1 + i % 4] AS project,
               CASE WHEN i <= 50 THEN now() - make_interval(hours => i * 11)
                    ELSE now() - make_interval(days => i - 19, hours => i)
               END AS created_at
        FROM generate_series(1, 80) AS i
    ) g
    ON CONFLICT (sender_id) DO NOTHING;

    -- one upload/changes job per session ------------------------------------------------------------
    INSERT INTO public.translation_jobs
        (session_id, job_id, job_type, status, provider, model, source_locale, target_locales,
         progress, error, created_at, updated_at, started_at, completed_at)
    SELECT x.id,
           format('demo-job-%s-%s', x.session_type, lpad(x.i::text, 3, '0')),
           x.session_type,
           x.job_status,
           'openai',
           (ARRAY['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'])[1 + x.i % 3],
           x.source_locale,
           x.target_locales,
           jsonb_build_object(
               'total', x.total,
               'completed', CASE x.job_status WHEN 'completed' THEN x.total
                                              WHEN 'processing' THEN x.total / 2
                                              WHEN 'failed' THEN x.total / 3
                                              WHEN 'cancelled' THEN x.total / 4
                                              ELSE 0 END,
               'failed', CASE WHEN x.job_status = 'failed' THEN 1 ELSE 0 END,
               'percent', CASE x.job_status WHEN 'completed' THEN 100
                                            WHEN 'processing' THEN 50
                                            WHEN 'failed' THEN 33
                                            WHEN 'cancelled' THEN 25
                                            ELSE 0 END),
           CASE WHEN x.job_status = 'failed'
                THEN 'OpenAI API error 429: Rate limit reached for requests per min (RPM). Retries exhausted after 5 attempts.'
           END,
           x.created_at,
           least(now(), x.created_at + make_interval(mins => 6 + x.i % 20)),
           CASE WHEN x.job_status <> 'pending' THEN x.created_at + interval '1 minute' END,
           CASE WHEN x.job_status IN ('completed', 'failed', 'cancelled')
                THEN x.created_at + make_interval(mins => 6 + x.i % 20) END
    FROM (
        SELECT s.*,
               split_part(s.sender_id, '-', 3)::int AS i,
               CASE s.status
                   WHEN 'active' THEN 'pending'
                   WHEN 'processing' THEN 'processing'
                   WHEN 'failed' THEN 'failed'
                   WHEN 'completed' THEN 'completed'
                   ELSE CASE WHEN split_part(s.sender_id, '-', 3)::int % 4 = 0 THEN 'cancelled' ELSE 'completed' END
               END AS job_status,
               cardinality(s.target_locales) * CASE WHEN s.session_type = 'upload' THEN 4 ELSE 3 END AS total
        FROM public.sessions s
        WHERE s.sender_id LIKE 'demo-sender-%'
    ) x
    ON CONFLICT (job_id) DO NOTHING;

    -- files: sources in the source locale, deltas for 'changes', translations when a job got that far --
    INSERT INTO public.files
        (session_id, job_id, file_type, content_type, locale, relative_path, file_name, format,
         content, content_hash, size_bytes, created_at, updated_at)
    WITH loc (locale, w_start, w_release, w_hello, w_save, w_cancel, w_title, w_cta) AS (VALUES
        ('en', 'Getting Started', 'Release Notes', 'Welcome to Acme Docs', 'Save', 'Cancel',
               'Ship your product in every language', 'Start free trial'),
        ('de', 'Erste Schritte', 'Versionshinweise', 'Willkommen bei Acme Docs', 'Speichern', 'Abbrechen',
               'Liefern Sie Ihr Produkt in jeder Sprache aus', 'Kostenlos testen'),
        ('fr', 'Bien démarrer', 'Notes de version', 'Bienvenue dans Acme Docs', 'Enregistrer', 'Annuler',
               'Livrez votre produit dans toutes les langues', 'Essai gratuit'),
        ('es', 'Primeros pasos', 'Notas de la versión', 'Bienvenido a Acme Docs', 'Guardar', 'Cancelar',
               'Lanza tu producto en todos los idiomas', 'Prueba gratuita'),
        ('it', 'Per iniziare', 'Note di rilascio', 'Benvenuto in Acme Docs', 'Salva', 'Annulla',
               'Distribuisci il tuo prodotto in ogni lingua', 'Prova gratuita'),
        ('pt-BR', 'Primeiros passos', 'Notas de versão', 'Bem-vindo ao Acme Docs', 'Salvar', 'Cancelar',
               'Lance seu produto em todos os idiomas', 'Teste grátis'),
        ('ja', 'はじめに', 'リリースノート', 'Acme Docs へようこそ', '保存', 'キャンセル',
               'あらゆる言語で製品を届けましょう', '無料で試す'),
        ('zh-CN', '入门', '发行说明', '欢迎使用 Acme Docs', '保存', '取消',
               '用每一种语言发布你的产品', '免费试用'),
        ('ko', '시작하기', '릴리스 노트', 'Acme Docs에 오신 것을 환영합니다', '저장', '취소',
               '모든 언어로 제품을 출시하세요', '무료 체험')
    ),
    tpl (k, content_type, relative_path, file_name, format) AS (VALUES
        (1, 'content', 'docs/getting-started.md', 'getting-started.md', 'markdown'),
        (2, 'content', 'blog/release-notes.md',   'release-notes.md',   'markdown'),
        (3, 'global',  'locales/common.json',     'common.json',        'json'),
        (4, 'page',    'pages/home.json',         'home.json',          'json')
    ),
    sess AS (
        SELECT s.id, s.session_type, s.source_locale, s.target_locales, s.created_at,
               split_part(s.sender_id, '-', 3)::int AS i,
               j.id AS job_pk, j.status AS job_status, j.completed_at
        FROM public.sessions s
        JOIN public.translation_jobs j ON j.session_id = s.id AND j.job_type = s.session_type
        WHERE s.sender_id LIKE 'demo-sender-%'
    ),
    want AS (
        SELECT sess.*, CASE WHEN sess.session_type = 'upload' THEN 'upload' ELSE 'original' END AS file_type,
               sess.source_locale AS locale, tpl.k, sess.created_at + interval '1 minute' AS file_created_at
        FROM sess CROSS JOIN tpl
        UNION ALL
        SELECT sess.*, 'delta', sess.source_locale, tpl.k, sess.created_at + interval '1 minute'
        FROM sess CROSS JOIN tpl
        WHERE sess.session_type = 'changes' AND tpl.k <> 2
        UNION ALL
        SELECT sess.*, 'translation', t.locale, tpl.k,
               coalesce(sess.completed_at, sess.created_at + make_interval(mins => 3 + t.n::int))
        FROM sess
        CROSS JOIN LATERAL unnest(sess.target_locales) WITH ORDINALITY AS t (locale, n)
        CROSS JOIN tpl
        WHERE (sess.job_status = 'completed' OR (sess.job_status = 'processing' AND t.n = 1))
          AND (sess.session_type = 'upload' OR tpl.k <> 2)
    ),
    body AS (
        SELECT w.id, w.job_pk, w.file_type, w.locale, w.file_created_at, tpl.*,
               CASE
                   WHEN tpl.k = 1 AND w.file_type = 'delta' THEN
                       '## ' || l.w_start || E' (update)\n\nStep 3 now uses `auto-i18n sync --changes` for project #'
                       || w.i || E'.\n'
                   WHEN tpl.k = 1 THEN
                       '# ' || l.w_start || E'\n\n' || l.w_hello || E'. This guide covers installing the CLI and translating project #'
                       || w.i || E'.\n\n## Install\n\n```bash\nnpm install -g @acme/auto-i18n\nauto-i18n init --source '
                       || w.source_locale || E'\n```\n\n## Configure\n\nList your target locales in `i18n.config.json`, then run `auto-i18n upload`.\n'
                   WHEN tpl.k = 2 THEN
                       '# ' || l.w_release || ' 2.' || (w.i % 10) || E'\n\n- ' || l.w_save
                       || E': autosave every 30 seconds\n- Faster translations with the OpenAI Batch API\n- '
                       || l.w_cancel || E': fixed button alignment on mobile\n'
                   WHEN tpl.k = 3 AND w.file_type = 'delta' THEN
                       jsonb_pretty(jsonb_build_object('common', jsonb_build_object('save', l.w_save)))
                   WHEN tpl.k = 3 THEN
                       jsonb_pretty(jsonb_build_object('common', jsonb_build_object(
                           'save', l.w_save, 'cancel', l.w_cancel, 'welcome', l.w_hello,
                           'greeting', l.w_hello || ', {name}!', 'projectId', w.i)))
                   WHEN w.file_type = 'delta' THEN
                       jsonb_pretty(jsonb_build_object('home', jsonb_build_object(
                           'hero', jsonb_build_object('cta', l.w_cta))))
                   ELSE
                       jsonb_pretty(jsonb_build_object('home', jsonb_build_object(
                           'hero', jsonb_build_object('title', l.w_title, 'cta', l.w_cta),
                           'sections', jsonb_build_array(l.w_start, l.w_release))))
               END AS content
        FROM want w
        JOIN tpl ON tpl.k = w.k
        JOIN loc l ON l.locale = w.locale
    )
    SELECT b.id, b.job_pk, b.file_type, b.content_type, b.locale, b.relative_path, b.file_name, b.format,
           b.content,
           encode(sha256(convert_to(b.content, 'UTF8')), 'hex'),
           octet_length(b.content),
           b.file_created_at,
           b.file_created_at
    FROM body b
    ON CONFLICT ON CONSTRAINT files_session_type_locale_path_key DO NOTHING;

    -- batches ---------------------------------------------------------------------------------------
    INSERT INTO public.batches
        (session_id, batch_id, openai_batch_id, status, provider, model, source_locale, target_locales,
         request_count, completed_count, failed_count, manifest,
         created_at, updated_at, submitted_at, completed_at, archived_at, archive_uri, archive_sha256)
    WITH plan AS (
        SELECT b,
               format('demo-batch-%s', lpad(b::text, 3, '0')) AS batch_id,
               format('demo-sender-%s', lpad((CASE WHEN b <= 12 THEN 38 + b
                                                   WHEN b <= 14 THEN b + 22
                                                   WHEN b <= 20 THEN b - 5
                                                   ELSE b + 30 END)::text, 3, '0')) AS sender_id,
               CASE
                   WHEN b = 4 THEN 'failed'
                   WHEN b = 8 THEN 'expired'
                   WHEN b = 11 THEN 'cancelled'
                   WHEN b <= 16 THEN 'completed'
                   WHEN b <= 18 THEN 'in_progress'
                   WHEN b = 19 THEN 'submitted'
                   WHEN b = 20 THEN 'pending'
                   WHEN b % 3 = 0 THEN 'expired'
                   ELSE 'completed'
               END AS status,
               20 + (b * 7) % 31 AS n
        FROM generate_series(1, 26) AS b
    ),
    timed AS (
        SELECT p.*, s.id AS session_pk, s.source_locale, s.target_locales,
               (ARRAY['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'])[1 + p.b % 3] AS model,
               CASE
                   WHEN p.b <= 12 THEN now() - make_interval(days => 9 + p.b, hours => 23, mins => 5)
                   WHEN p.b <= 14 THEN now() - make_interval(days => p.b - 3, hours => 20, mins => 5)
                   WHEN p.b <= 16 THEN now() - make_interval(days => p.b - 14, hours => 20, mins => 5)
                   WHEN p.b <= 18 THEN now() - make_interval(hours => (p.b - 16) * 3, mins => 5)
                   WHEN p.b = 19 THEN now() - interval '25 minutes'
                   WHEN p.b = 20 THEN now() - interval '5 minutes'
                   ELSE s.created_at + interval '2 hours'
               END AS t_created
        FROM plan p
        JOIN public.sessions s ON s.sender_id = p.sender_id
    ),
    counted AS (
        SELECT t.*,
               CASE t.status
                   WHEN 'completed' THEN t.n - t.n / 17
                   WHEN 'expired' THEN (2 * t.n) / 3
                   WHEN 'cancelled' THEN t.n / 2
                   WHEN 'in_progress' THEN t.n / 2
                   ELSE 0
               END AS completed_count,
               CASE t.status
                   WHEN 'completed' THEN t.n / 17
                   WHEN 'failed' THEN t.n
                   WHEN 'expired' THEN t.n - (2 * t.n) / 3
                   ELSE 0
               END AS failed_count,
               CASE WHEN t.status <> 'pending' THEN t.t_created + interval '5 minutes' END AS t_submitted,
               CASE WHEN t.status IN ('completed', 'failed', 'cancelled', 'expired')
                    THEN t.t_created + CASE WHEN t.status = 'expired' THEN interval '24 hours 5 minutes'
                                            ELSE interval '20 hours 5 minutes' END
               END AS t_completed,
               substr(md5('openai-batch-' || t.batch_id), 1, 24) AS oa
        FROM timed t
    )
    SELECT c.session_pk,
           c.batch_id,
           CASE WHEN c.status <> 'pending' THEN 'batch_' || c.oa END,
           c.status,
           'openai',
           c.model,
           c.source_locale,
           c.target_locales,
           c.n,
           c.completed_count,
           c.failed_count,
           jsonb_strip_nulls(jsonb_build_object(
               'endpoint', '/v1/chat/completions',
               'completion_window', '24h',
               'input_file_id', 'file-' || substr(md5('input-' || c.batch_id), 1, 24),
               'output_file_id', CASE WHEN c.completed_count > 0 AND c.t_completed IS NOT NULL
                                      THEN 'file-' || substr(md5('output-' || c.batch_id), 1, 24) END,
               'error_file_id', CASE WHEN c.failed_count > 0
                                     THEN 'file-' || substr(md5('error-' || c.batch_id), 1, 24) END,
               'files', jsonb_build_array('docs/getting-started.md', 'locales/common.json', 'pages/home.json'),
               'target_locales', to_jsonb(c.target_locales),
               'metadata', jsonb_build_object('sender_id', c.sender_id, 'demo', true))),
           c.t_created,
           coalesce(CASE WHEN c.b IN (13, 14) THEN c.t_completed + interval '7 days 1 hour' END,
                    c.t_completed, c.t_submitted, c.t_created),
           c.t_submitted,
           c.t_completed,
           CASE WHEN c.b IN (13, 14) THEN c.t_completed + interval '7 days 1 hour' END,
           CASE WHEN c.b IN (13, 14)
                THEN format('s3://auto-i18n-archive/batches/%s/%s.jsonl.gz',
                            to_char(c.t_completed AT TIME ZONE 'UTC', 'YYYY/MM/DD'), c.batch_id) END,
           CASE WHEN c.b IN (13, 14) THEN encode(sha256(convert_to('archive-' || c.batch_id, 'UTF8')), 'hex') END
    FROM counted c
    ON CONFLICT (batch_id) DO NOTHING;

    -- one 'batch' translation job per batch -----------------------------------------------------------
    INSERT INTO public.translation_jobs
        (session_id, job_id, job_type, status, provider, model, source_locale, target_locales,
         progress, created_at, updated_at, started_at, completed_at)
    SELECT b.session_id,
           replace(b.batch_id, 'demo-batch-', 'demo-job-batch-'),
           'batch',
           CASE b.status
               WHEN 'completed' THEN 'completed'
               WHEN 'failed' THEN 'failed'
               WHEN 'expired' THEN 'failed'
               WHEN 'cancelled' THEN 'cancelled'
               WHEN 'pending' THEN 'pending'
               ELSE 'processing'
           END,
           b.provider, b.model, b.source_locale, b.target_locales,
           jsonb_build_object('batch_id', b.batch_id, 'total', b.request_count,
                              'completed', b.completed_count, 'failed', b.failed_count),
           b.created_at,
           coalesce(b.completed_at, b.submitted_at, b.created_at),
           b.submitted_at,
           b.completed_at
    FROM public.batches b
    WHERE b.batch_id LIKE 'demo-batch-%'
    ON CONFLICT (job_id) DO NOTHING;

    -- batch requests: OpenAI Batch API JSONL lines (archived batches have had theirs pruned) ------------
    INSERT INTO public.batch_requests
        (batch_id, custom_id, request, response, error, status, created_at, updated_at)
    WITH phrases (p) AS (
        SELECT ARRAY['Save changes', 'Cancel', 'Welcome back, {name}!', 'Your translation is ready',
                     'Upload files', 'Delete project', 'Settings', 'Sign out', 'Invite your team',
                     'Billing and invoices', 'You have {count} unread messages', 'Last updated {date}']
    ),
    lines AS (
        SELECT b.id AS batch_pk, b.batch_id, b.status AS batch_status, b.model, b.source_locale,
               b.created_at, b.completed_at, b.request_count AS n, r,
               b.target_locales[1 + r % cardinality(b.target_locales)] AS locale,
               format('%s-req-%s', b.batch_id, lpad(r::text, 4, '0')) AS custom_id,
               format('%s.key_%s', (ARRAY['common', 'home', 'settings', 'billing'])[1 + r % 4], r) AS msg_key,
               ph.p[1 + r % 12] AS phrase
        FROM public.batches b
        CROSS JOIN generate_series(1, b.request_count) AS r
        CROSS JOIN phrases ph
        WHERE b.batch_id LIKE 'demo-batch-%' AND b.archived_at IS NULL
    ),
    st AS (
        SELECT l.*,
               CASE l.batch_status
                   WHEN 'completed' THEN CASE WHEN l.r % 17 = 0 THEN 'failed' ELSE 'completed' END
                   WHEN 'failed' THEN 'failed'
                   WHEN 'expired' THEN CASE WHEN l.r <= (2 * l.n) / 3 THEN 'completed' ELSE 'expired' END
                   WHEN 'cancelled' THEN CASE WHEN l.r <= l.n / 2 THEN 'completed' ELSE 'cancelled' END
                   WHEN 'in_progress' THEN CASE WHEN l.r <= l.n / 2 THEN 'completed' ELSE 'pending' END
                   ELSE 'pending'
               END AS status,
               md5(l.custom_id) AS h
        FROM lines l
    )
    SELECT s.batch_pk,
           s.custom_id,
           jsonb_build_object(
               'custom_id', s.custom_id,
               'method', 'POST',
               'url', '/v1/chat/completions',
               'body', jsonb_build_object(
                   'model', s.model,
                   'temperature', 0.2,
                   'response_format', jsonb_build_object('type', 'json_object'),
                   'messages', jsonb_build_array(
                       jsonb_build_object('role', 'system', 'content',
                           format('You are a professional software localizer. Translate the JSON values from %s to %s. '
                                  'Keep keys, placeholders such as {name} and Markdown formatting unchanged. '
                                  'Reply with a JSON object only.', s.source_locale, s.locale)),
                       jsonb_build_object('role', 'user', 'content',
                           jsonb_build_object(s.msg_key, s.phrase)::text)))),
           CASE
               WHEN s.status = 'completed' THEN jsonb_build_object(
                   'id', 'batch_req_' || substr(s.h, 1, 24),
                   'custom_id', s.custom_id,
                   'response', jsonb_build_object(
                       'status_code', 200,
                       'request_id', substr(md5('req-' || s.custom_id), 1, 32),
                       'body', jsonb_build_object(
                           'id', 'chatcmpl-' || substr(md5('cmpl-' || s.custom_id), 1, 29),
                           'object', 'chat.completion',
                           'created', extract(epoch FROM coalesce(s.completed_at, s.created_at + interval '1 hour'))::bigint,
                           'model', s.model || '-2024-07-18',
                           'choices', jsonb_build_array(jsonb_build_object(
                               'index', 0,
                               'message', jsonb_build_object(
                                   'role', 'assistant',
                                   'content', jsonb_build_object(s.msg_key, format('[%s] %s', s.locale, s.phrase))::text,
                                   'refusal', NULL),
                               'logprobs', NULL,
                               'finish_reason', 'stop')),
                           'usage', jsonb_build_object(
                               'prompt_tokens', 74 + s.r % 40,
                               'completion_tokens', 9 + s.r % 11,
                               'total_tokens', 83 + s.r % 40 + s.r % 11),
                           'system_fingerprint', 'fp_' || substr(md5(s.model), 1, 10))),
                   'error', NULL)
               WHEN s.status = 'failed' AND s.batch_status = 'completed' THEN jsonb_build_object(
                   'id', 'batch_req_' || substr(s.h, 1, 24),
                   'custom_id', s.custom_id,
                   'response', jsonb_build_object(
                       'status_code', 400,
                       'request_id', substr(md5('req-' || s.custom_id), 1, 32),
                       'body', jsonb_build_object('error', jsonb_build_object(
                           'message', 'Invalid ''response_format'': the model returned text that is not valid JSON.',
                           'type', 'invalid_request_error',
                           'param', 'response_format',
                           'code', NULL))),
                   'error', NULL)
           END,
           CASE s.status
               WHEN 'failed' THEN CASE WHEN s.batch_status = 'completed'
                   THEN jsonb_build_object('code', 'invalid_request_error', 'status_code', 400,
                                           'message', 'Invalid ''response_format'': the model returned text that is not valid JSON.')
                   ELSE jsonb_build_object('code', 'invalid_request',
                                           'message', 'Batch validation failed: line ' || s.r || ' uses a model that is not supported by the Batch API.')
                   END
               WHEN 'expired' THEN jsonb_build_object('code', 'batch_expired',
                   'message', 'This request could not be executed before the completion window expired.')
               WHEN 'cancelled' THEN jsonb_build_object('code', 'batch_cancelled',
                   'message', 'This request was not executed because the batch was cancelled.')
           END,
           s.status,
           s.created_at,
           CASE WHEN s.status = 'pending' THEN s.created_at ELSE coalesce(s.completed_at, now()) END
    FROM st s
    ON CONFLICT ON CONSTRAINT batch_requests_batch_custom_id_key DO NOTHING;

    REFRESH MATERIALIZED VIEW public.translation_stats;
    """#
}
