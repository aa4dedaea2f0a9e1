#!/usr/bin/env bash
# Benchmark: `auto-i18n-ops import legacy` vs its floor, `psql \copy` of the same rows from CSV.
#
# Usage: DATABASE_URL=postgresql://… Scripts/bench/import.sh
#
# Generates (once, kept in BENCH_DIR) a tree of BENCH_SIZE bytes (default 2 GiB) shaped like the
# migration plan's size table (files 1–100 KB, JSONL 100 KB–5 MB) with gen-legacy-tree.py, prepares
# the floor's CSV files from it with legacy-floor-csv.py (outside the timed section), then on two fresh
# migrated databases measures in one run:
#   A. auto-i18n-ops import legacy TREE --jobs BENCH_JOBS --quiet   (wall time and peak RSS, /usr/bin/time -v)
#   B. psql: \copy of the five tables from the CSV files            (wall time)
# and prints both, the ratio A/B (target <= 2) and A's peak RSS (target <= 128 MiB). Row counts of
# the two databases are compared (they must be equal).
#
# Environment: DATABASE_URL (a server where the user may CREATE DATABASE), BENCH_SIZE, BENCH_DIR
# (default /tmp/bench-import), BENCH_JOBS (2), BENCH_SEED (1), OPS_BIN (default
# .build/release/auto-i18n-ops), BENCH_KEEP=1 keeps the databases.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL server to benchmark on}"
SIZE="${BENCH_SIZE:-2147483648}"
DIR="${BENCH_DIR:-/tmp/bench-import}"
JOBS="${BENCH_JOBS:-2}"
SEED="${BENCH_SEED:-1}"
OPS_BIN="${OPS_BIN:-$REPO_ROOT/.build/release/auto-i18n-ops}"
[[ -x "$OPS_BIN" ]] || { echo "bench: build first (swift build -c release)" >&2; exit 2; }
command -v psql >/dev/null || { echo "bench: psql is missing (postgresql-client-15)" >&2; exit 2; }

log() { printf 'bench: %s\n' "$*" >&2; }
db_url() { python3 - "$DATABASE_URL" "$1" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))
PY
}
now() { date +%s.%N; }

TREE="$DIR/tree-$SIZE-$SEED"
CSV="$DIR/csv-$SIZE-$SEED"
A="bench_import_ours_$$"; B="bench_import_floor_$$"
cleanup() {
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $A WITH (FORCE)" -c "DROP DATABASE IF EXISTS $B WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

mkdir -p "$DIR"
if [[ ! -f "$TREE/.complete" ]]; then
    log "generating a $SIZE-byte tree in $TREE"
    rm -rf "$TREE" "$CSV"
    python3 "$REPO_ROOT/Scripts/bench/gen-legacy-tree.py" "$TREE" --seed "$SEED" --size "$SIZE"
    touch "$TREE/.complete"
fi
if [[ ! -f "$CSV/.complete" ]]; then
    log "preparing the floor's CSV files in $CSV (not timed)"
    rm -rf "$CSV"
    python3 "$REPO_ROOT/Scripts/bench/legacy-floor-csv.py" "$TREE" "$CSV"
    touch "$CSV/.complete"
fi
TREE_BYTES=$(du -sb --exclude=.complete "$TREE" | cut -f1)

for db in "$A" "$B"; do
    psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
    DATABASE_URL="$(db_url "$db")" "$OPS_BIN" schema migrate >/dev/null
done
# Both start from cold caches of their own database but the same warm page cache for their input.
cat "$TREE"/*/metadata.json >/dev/null

log "A: import legacy (--jobs $JOBS)"
t0=$(now)
# The URL goes in the environment, not on the command line (the process list would show its password).
DATABASE_URL="$(db_url "$A")" /usr/bin/time -v -o "$DIR/time-a.txt" "$OPS_BIN" import legacy "$TREE" --jobs "$JOBS" --quiet --json \
    >"$DIR/report-a.json"
t1=$(now)
A_SECONDS=$(echo "$t1 - $t0" | bc)
RSS_KB=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$DIR/time-a.txt")

log "B: psql \\copy (floor)"
t0=$(now)
psql -q -v ON_ERROR_STOP=1 "$(db_url "$B")" <<SQL
BEGIN;
\copy public.sessions (id, sender_id, session_type, status, source_locale, target_locales, metadata, created_at, updated_at, expires_at) FROM '$CSV/sessions.csv' WITH (FORMAT csv)
\copy public.translation_jobs (id, session_id, job_id, job_type, status, provider, model, source_locale, target_locales, progress, error, created_at, updated_at, completed_at) FROM '$CSV/translation_jobs.csv' WITH (FORMAT csv)
\copy public.batches (id, session_id, batch_id, openai_batch_id, status, provider, model, source_locale, target_locales, request_count, completed_count, failed_count, manifest, created_at) FROM '$CSV/batches.csv' WITH (FORMAT csv)
\copy public.batch_requests (id, batch_id, custom_id, request, response, error, status) FROM '$CSV/batch_requests.csv' WITH (FORMAT csv)
\copy public.files (id, session_id, file_type, content_type, locale, relative_path, file_name, format, content, content_hash, size_bytes) FROM '$CSV/files.csv' WITH (FORMAT csv)
COMMIT;
SQL
t1=$(now)
B_SECONDS=$(echo "$t1 - $t0" | bc)

counts() { psql -qAt "$(db_url "$1")" -c "SELECT (SELECT count(*) FROM sessions) || ' ' || (SELECT count(*) FROM translation_jobs) || ' ' || (SELECT count(*) FROM files) || ' ' || (SELECT count(*) FROM batches) || ' ' || (SELECT count(*) FROM batch_requests) || ' ' || (SELECT coalesce(sum(size_bytes), 0) FROM files)"; }
CA=$(counts "$A"); CB=$(counts "$B")
RATIO=$(echo "scale=2; $A_SECONDS / $B_SECONDS" | bc)
printf 'tree: %s bytes (%s), rows A: %s, rows B: %s (sessions jobs files batches requests file-bytes)\n' "$TREE_BYTES" "$TREE" "$CA" "$CB"
printf 'A import legacy --jobs %s: %.1f s, peak RSS %d KiB (%.1f MiB; target <= 128 MiB)\n' "$JOBS" "$A_SECONDS" "$RSS_KB" "$(echo "$RSS_KB / 1024" | bc -l)"
printf 'B psql \\copy floor:        %.1f s\n' "$B_SECONDS"
printf 'ratio A/B: %s (target <= 2)\n' "$RATIO"
[[ "$CA" == "$CB" ]] || { log "row counts differ between the import and the floor"; exit 1; }
