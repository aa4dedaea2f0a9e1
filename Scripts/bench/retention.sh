#!/usr/bin/env bash
# Benchmark: `auto-i18n-ops retention` vs one unbatched DELETE, under a concurrent application workload.
#
# Usage: DATABASE_URL=postgresql://… Scripts/bench/retention.sh
#
# Builds a database with BENCH_SESSIONS expired sessions (default 1000000) with realistic children
# (1 translation job and BENCH_FILES files each; every 10th session one finished batch with 4 requests)
# plus BENCH_LIVE live sessions (default BENCH_SESSIONS/10), all with set-based SQL. Clones it twice
# (CREATE DATABASE … TEMPLATE) and on identical copies measures, each while pgbench runs a custom
# script updating live sessions (BENCH_CLIENTS clients at BENCH_RATE transactions/s in total):
#   A. auto-i18n-ops retention --only sessions   (batched, FOR UPDATE SKIP LOCKED)
#   B. DELETE FROM sessions WHERE expires_at < now()   (one transaction, cascades)
# and prints deleted rows/s of both and their ratio, the longest transaction of each, and the p99
# latency of the concurrent workload during each and in the BENCH_AFTER seconds after each (10; the
# dead index entries a large delete leaves behind slow the application's planning until VACUUM), against
# the targets: ratio >= 0.7, longest retention transaction <= 1 s, concurrent p99 <= 50 ms.
# Retention runs with --vacuum BENCH_VACUUM (auto): the ratio compares the deleting (retention's wall time
# minus its VACUUM, which the unbatched DELETE leaves to autovacuum); the ratio of the whole run is
# printed too.
#
# Environment: DATABASE_URL (a server where the user may CREATE DATABASE), BENCH_SESSIONS,
# BENCH_LIVE, BENCH_FILES (2), BENCH_BATCH_SIZE (1000), BENCH_CLIENTS (4), BENCH_RATE (200),
# BENCH_REPEAT (1: how many times to measure both on fresh copies; medians are printed),
# OPS_BIN (default: .build/release/auto-i18n-ops, else .build/debug/auto-i18n-ops), BENCH_KEEP=1 keeps
# the databases. Needs psql and pgbench (postgresql-client-15).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL server to benchmark on}"
SESSIONS="${BENCH_SESSIONS:-1000000}"
LIVE="${BENCH_LIVE:-$(( SESSIONS / 10 > 1000 ? SESSIONS / 10 : 1000 ))}"
FILES="${BENCH_FILES:-2}"
BATCH_SIZE="${BENCH_BATCH_SIZE:-1000}"
CLIENTS="${BENCH_CLIENTS:-4}"
RATE="${BENCH_RATE:-200}"
REPEAT="${BENCH_REPEAT:-1}"
VACUUM="${BENCH_VACUUM:-auto}"
AFTER="${BENCH_AFTER:-10}"
if [[ -z "${OPS_BIN:-}" ]]; then
    OPS_BIN="$REPO_ROOT/.build/release/auto-i18n-ops"
    [[ -x "$OPS_BIN" ]] || OPS_BIN="$REPO_ROOT/.build/debug/auto-i18n-ops"
fi
[[ -x "$OPS_BIN" ]] || { echo "bench: build first (swift build -c release)" >&2; exit 2; }
for tool in psql pgbench; do command -v "$tool" >/dev/null || { echo "bench: $tool is missing (postgresql-client-15)" >&2; exit 2; }; done

log() { printf 'bench: %s\n' "$*" >&2; }
# A URL for another database on the same server (keeps user, password, host, port and query string).
db_url() { python3 - "$DATABASE_URL" "$1" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))
PY
}
now() { date +%s.%N; }

SRC="bench_retention_src_$$"; A="bench_retention_a_$$"; B="bench_retention_b_$$"
WORK="$(mktemp -d)"
ADMIN="$DATABASE_URL"
cleanup() {
    [[ -n "${PGBENCH_PID:-}" ]] && kill "$PGBENCH_PID" 2>/dev/null || true
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        for d in "$SRC" "$A" "$B"; do psql "$ADMIN" -qXc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

log "creating $SESSIONS expired sessions (+$LIVE live) with children"
psql "$ADMIN" -qXc "CREATE DATABASE $SRC" >/dev/null
DATABASE_URL="$(db_url "$SRC")" "$OPS_BIN" schema migrate >/dev/null
t0=$(now)
psql "$(db_url "$SRC")" -qX -v ON_ERROR_STOP=1 -v sessions="$SESSIONS" -v live="$LIVE" -v files="$FILES" <<'SQL'
SET synchronous_commit = off;
INSERT INTO public.sessions (sender_id, session_type, status, source_locale, target_locales, metadata,
                             created_at, updated_at, expires_at)
SELECT 'bench-expired-' || g, CASE WHEN g % 2 = 0 THEN 'upload' ELSE 'changes' END, 'completed', 'en',
       '{fr,de,es}', jsonb_build_object('project', 'bench-' || (g % 97), 'client', 'auto-i18n-cli/1.4.2'),
       c.created_at, c.created_at + interval '1 hour', c.created_at + interval '30 days'
FROM generate_series(1, :sessions) g
-- Created over 25 days, 55 to 30 days ago; expires_at is creation + 30 days, as the application sets it.
CROSS JOIN LATERAL (SELECT now() - interval '55 days' + (g::float8 / :sessions) * interval '25 days' AS created_at) c;
INSERT INTO public.sessions (sender_id, session_type, status, source_locale, target_locales, metadata,
                             created_at, updated_at, expires_at)
SELECT 'bench-live-' || g, CASE WHEN g % 2 = 0 THEN 'upload' ELSE 'changes' END, 'active', 'en',
       '{fr,de,es}', jsonb_build_object('project', 'bench-' || (g % 97)), now() - interval '2 days', now(),
       now() + interval '28 days'
FROM generate_series(1, :live) g;
INSERT INTO public.translation_jobs (session_id, job_id, job_type, status, provider, model, progress, created_at, completed_at)
SELECT id, 'bench-job-' || id, session_type, 'completed', 'openai', 'gpt-4o-mini',
       '{"total": 12, "completed": 12, "failed": 0, "percent": 100}', created_at, created_at + interval '6 minutes'
FROM public.sessions;
INSERT INTO public.files (session_id, job_id, file_type, content_type, locale, relative_path, file_name, format,
                          content, content_hash, size_bytes, created_at)
SELECT j.session_id, CASE WHEN k > 1 THEN j.id END, CASE WHEN k = 1 THEN 'upload' ELSE 'translation' END, 'content',
       CASE WHEN k = 1 THEN 'en' ELSE 'fr' END, 'docs/page-' || k || '.md', 'page-' || k || '.md', 'markdown',
       '# Page ' || k || E'\n\n' || repeat('Ship your product in every language. Save, cancel, welcome back. ', 6),
       md5(j.id::text || k), 420, j.created_at
FROM public.translation_jobs j CROSS JOIN generate_series(1, :files) k;
INSERT INTO public.batches (session_id, batch_id, openai_batch_id, status, provider, model, request_count,
                            completed_count, manifest, created_at, submitted_at, completed_at)
SELECT id, 'bench-batch-' || id, 'batch_' || md5(id::text), 'completed', 'openai', 'gpt-4o-mini', 4, 4,
       '{"endpoint": "/v1/chat/completions", "completion_window": "24h"}', created_at, created_at, created_at + interval '20 hours'
FROM public.sessions WHERE id % 10 = 0;
INSERT INTO public.batch_requests (batch_id, custom_id, request, response, status, created_at)
SELECT b.id, b.batch_id || '-req-' || r,
       jsonb_build_object('custom_id', b.batch_id || '-req-' || r, 'method', 'POST', 'url', '/v1/chat/completions',
           'body', jsonb_build_object('model', 'gpt-4o-mini', 'temperature', 0.2, 'messages', jsonb_build_array(
               jsonb_build_object('role', 'system', 'content', 'You are a professional software localizer.'),
               jsonb_build_object('role', 'user', 'content', '{"common.save": "Save changes"}')))),
       jsonb_build_object('status_code', 200, 'body', jsonb_build_object('choices', jsonb_build_array(
           jsonb_build_object('message', jsonb_build_object('content', '{"common.save": "Enregistrer"}'))))),
       'completed', b.created_at
FROM public.batches b CROSS JOIN generate_series(1, 4) r;
VACUUM ANALYZE;
SQL
log "generated in $(echo "$(now) - $t0" | bc) s; cloning two identical copies"
psql "$ADMIN" -qXc "CREATE DATABASE $A TEMPLATE $SRC" -c "CREATE DATABASE $B TEMPLATE $SRC" >/dev/null

ROWS="$(psql "$(db_url "$A")" -AtX -c "
    WITH s AS (SELECT id FROM public.sessions WHERE expires_at < now()), b AS (SELECT id FROM public.batches WHERE session_id IN (SELECT id FROM s))
    SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM public.translation_jobs WHERE session_id IN (SELECT id FROM s))
         + (SELECT count(*) FROM public.files WHERE session_id IN (SELECT id FROM s)) + (SELECT count(*) FROM b)
         + (SELECT count(*) FROM public.batch_requests WHERE batch_id IN (SELECT id FROM b))")"
log "$ROWS rows to delete on each copy"

# The application: update a live session and read its files, BENCH_RATE times a second in total.
cat > "$WORK/app.sql" <<SQL
\set n random(1, $LIVE)
UPDATE public.sessions SET metadata = jsonb_set(metadata, '{last_seen}', to_jsonb(now()::text)) WHERE sender_id = 'bench-live-' || :n;
SELECT count(*) FROM public.files f JOIN public.sessions s ON s.id = f.session_id WHERE s.sender_id = 'bench-live-' || :n;
SQL
start_app() {  # $1 database, $2 log prefix
    (cd "$WORK" && exec pgbench -n -f app.sql -c "$CLIENTS" -j "$CLIENTS" -R "$RATE" -T 86400 -l --log-prefix="$2" "$(db_url "$1")" \
        >"$WORK/$2.out" 2>&1) &
    PGBENCH_PID=$!
    sleep 2  # let it reach a steady state before the measured operation
}
stop_app() {
    kill -TERM "$PGBENCH_PID" 2>/dev/null || true
    wait "$PGBENCH_PID" 2>/dev/null || true
    PGBENCH_PID=""
}
p99_ms() {  # $1 log prefix, $2/$3 the window (epoch seconds). Logs: client txno latency_us script epoch us [lag]
    cat "$WORK"/"$1".* 2>/dev/null | awk -v from="$2" -v to="$3" '{t = $5 + $6 / 1e6; if (t >= from && t < to) print $3}' \
        | sort -n | awk '{v[NR]=$1} END {if (NR==0) {print "n/a"; exit} i=int(NR*0.99); if (i<1) i=1; printf "%.1f", v[i]/1000}'
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
: >"$WORK/a.txt"; : >"$WORK/b.txt"
for rep in $(seq 1 "$REPEAT"); do
    if [[ "$rep" -gt 1 ]]; then
        psql "$ADMIN" -qXc "DROP DATABASE $A WITH (FORCE)" -c "DROP DATABASE $B WITH (FORCE)" \
            -c "CREATE DATABASE $A TEMPLATE $SRC" -c "CREATE DATABASE $B TEMPLATE $SRC" >/dev/null
    fi
    log "run $rep/$REPEAT, A: auto-i18n-ops retention --only sessions --batch-size $BATCH_SIZE"
    start_app "$A" "app_a$rep"
    t0=$(now)
    JSON="$(DATABASE_URL="$(db_url "$A")" ENABLE_CACHE=false "$OPS_BIN" retention --only sessions --batch-size "$BATCH_SIZE" --vacuum "$VACUUM" --json)"
    t1=$(now)
    sleep "$AFTER"
    stop_app
    read -r rows longest vacuum_s <<<"$(printf '%s\n' "select (d->'details'->'deleted'->>'sessions')::bigint + (d->'details'->'deleted'->>'translation_jobs')::bigint + (d->'details'->'deleted'->>'files')::bigint + (d->'details'->'deleted'->>'batches')::bigint + (d->'details'->'deleted'->>'batch_requests')::bigint, d->'details'->>'longest_transaction_seconds', coalesce(d->'details'->>'vacuum_seconds', '0') from (select :'j'::jsonb as d) x;" \
        | psql "$ADMIN" -AtX -F ' ' -v j="$JSON")"
    echo "$(echo "$t1 - $t0" | bc) $rows $longest $(p99_ms "app_a$rep" "$t0" "$t1") $vacuum_s $(p99_ms "app_a$rep" "$t1" "$(echo "$t1 + $AFTER" | bc)")" >>"$WORK/a.txt"

    log "run $rep/$REPEAT, B: one unbatched DELETE FROM sessions WHERE expires_at < now()"
    start_app "$B" "app_b$rep"
    t0=$(now)
    psql "$(db_url "$B")" -qX -v ON_ERROR_STOP=1 -c "DELETE FROM public.sessions WHERE expires_at < now()" >/dev/null
    t1=$(now)
    sleep "$AFTER"
    stop_app
    echo "$(echo "$t1 - $t0" | bc) $(p99_ms "app_b$rep" "$t0" "$t1") $(p99_ms "app_b$rep" "$t1" "$(echo "$t1 + $AFTER" | bc)")" >>"$WORK/b.txt"
done
# Medians over the repetitions (the machine may be shared); the longest transaction is the maximum.
RET_SECONDS=$(awk '{print $1}' "$WORK/a.txt" | median)
RET_ROWS=$(awk '{print $2}' "$WORK/a.txt" | median)
RET_LONGEST=$(awk '{print $3}' "$WORK/a.txt" | sort -g | tail -1)
RET_P99=$(awk '{print $4}' "$WORK/a.txt" | median)
RET_VACUUM=$(awk '{print $5}' "$WORK/a.txt" | median)
RET_AFTER_P99=$(awk '{print $6}' "$WORK/a.txt" | median)
DEL_SECONDS=$(awk '{print $1}' "$WORK/b.txt" | median)
DEL_P99=$(awk '{print $2}' "$WORK/b.txt" | median)
DEL_AFTER_P99=$(awk '{print $3}' "$WORK/b.txt" | median)

RET_DELETE_SECONDS=$(echo "$RET_SECONDS - $RET_VACUUM" | bc)
RET_RATE=$(echo "scale=0; $RET_ROWS / $RET_DELETE_SECONDS" | bc)
RET_RATE_ALL=$(echo "scale=0; $RET_ROWS / $RET_SECONDS" | bc)
DEL_RATE=$(echo "scale=0; $ROWS / $DEL_SECONDS" | bc)
RATIO=$(echo "scale=2; $RET_RATE / $DEL_RATE" | bc)
RATIO_ALL=$(echo "scale=2; $RET_RATE_ALL / $DEL_RATE" | bc)
verdict() { if [[ "$(echo "$1" | bc)" == 1 ]]; then echo PASS; else echo FAIL; fi; }
cat <<REPORT

retention benchmark: $SESSIONS expired sessions ($ROWS rows with children), $LIVE live sessions,
concurrent workload: pgbench $CLIENTS clients at $RATE tx/s updating live sessions
medians of $REPEAT run(s) on fresh identical copies; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)

                          rows deleted   seconds   rows/s    longest tx (s)   app p99 (ms)   app p99 in the ${AFTER} s after (ms)
retention (batch $BATCH_SIZE)   $(printf '%12s %9.2f %9s %16s %14s %14s' "$RET_ROWS" "$RET_DELETE_SECONDS" "$RET_RATE" "$RET_LONGEST" "$RET_P99" "$RET_AFTER_P99")
  + VACUUM (--vacuum $VACUUM)  $(printf '%9.2f s; whole run %.2f s, %s rows/s' "$RET_VACUUM" "$RET_SECONDS" "$RET_RATE_ALL")
unbatched DELETE          $(printf '%12s %9.2f %9s %16.2f %14s %14s' "$ROWS" "$DEL_SECONDS" "$DEL_RATE" "$DEL_SECONDS" "$DEL_P99" "$DEL_AFTER_P99")

throughput ratio retention/unbatched, deleting: $RATIO   (target >= 0.7: $(verdict "$RATIO >= 0.7"))
throughput ratio with retention's VACUUM included (the DELETE leaves its VACUUM to autovacuum): $RATIO_ALL
longest retention transaction: $RET_LONGEST s   (target <= 1 s: $(verdict "$RET_LONGEST <= 1"))
concurrent p99 during retention: $RET_P99 ms   (target <= 50 ms: $( [[ "$RET_P99" == n/a ]] && echo n/a || verdict "$RET_P99 <= 50"))
REPORT
