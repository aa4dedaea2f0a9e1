#!/usr/bin/env bash
# Benchmark: `auto-i18n-ops backup create` / `restore` against pg_dump, pg_restore and psql, measured in
# the same run on the same application-shaped database.
#
# Usage: Scripts/bench/backup.sh
#
# Environment:
#   BENCH_SIZE_MB   approximate size of the generated database (default 1000)
#   OPS_BIN         an auto-i18n-ops binary to measure (default: build the release binary here)
#   BENCH_JOBS      --jobs for backup create and restore (default: number of cores)
#   BENCH_BACKUP_ARGS  more options for backup create, e.g. "--compression-threads 0"
#   BENCH_REUSE=1   keep the generated database `bench_backup` at exit and reuse it next time
#   BENCH_REPEAT    runs of each measured command (default 3): the median wall time and the largest
#                   peak RSS are reported (timings on a shared 2-core VM vary by 10-30 % run to run)
#   DATABASE_URL    a server to use (a database `bench_backup` and scratch databases are created and
#                   dropped there); without it a throwaway stack is started in a temporary directory.
#
# Prints wall time, size and peak RSS (/usr/bin/time -v) of each tool, and the ratios the issue sets as
# targets: backup <= 1.2x the raw floor (pg_dump -Fp > /dev/null) and <= 0.6x pg_dump -Fd -j 2;
# restore --jobs 2 (ANALYZE included) <= 0.70x pg_restore -j 2 (from pg_dump -Fd -j 2) followed by
# vacuumdb -j 2 --analyze-only; the time of a VACUUM (FREEZE) right after each, side by side; peak RSS
# <= 128 MiB; and, when an S3 endpoint is at hand (OPS_TEST_S3_ENDPOINT and keys, as Scripts/stack
# exports them for moto behind the SigV4 proxy on loopback), backup create --repo s3://… into moto <= 1.3x
# the same backup to local disk, peak RSS <= 128 MiB (and, shown, the same through the proxy). Not a
# test: nothing fails on a miss.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIZE_MB="${BENCH_SIZE_MB:-1000}"
JOBS="${BENCH_JOBS:-$(nproc)}"
WORK="$(mktemp -d /tmp/bench-backup.XXXXXX)"
STACK_STARTED=0

cleanup() {
    if [[ -n "${ADMIN_URL:-}" ]]; then
        keep=""; [[ "${BENCH_REUSE:-0}" == 1 ]] && keep=bench_backup
        for db in bench_backup bench_r_ops bench_r_pgr2; do
            [[ "$db" == "$keep" ]] && continue
            psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
    if [[ "$STACK_STARTED" == 1 ]]; then "$REPO_ROOT/Scripts/stack" stop --dir "$WORK/stack" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf 'bench: %s\n' "$*" >&2; }

if [[ -z "${DATABASE_URL:-}" ]]; then
    log "starting a throwaway PostgreSQL in $WORK/stack"
    eval "$("$REPO_ROOT/Scripts/stack" start --fast --dir "$WORK/stack")"
    STACK_STARTED=1
fi
ADMIN_URL="$DATABASE_URL"
# The same server, another database (URL form: replace the path).
db_url() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$ADMIN_URL" "$1"; }

if [[ -n "${OPS_BIN:-}" ]]; then
    OPS="$OPS_BIN"
else
    log "building auto-i18n-ops (release)"
    (cd "$REPO_ROOT" && swift build -c release --product auto-i18n-ops >/dev/null)
    OPS="$REPO_ROOT/.build/release/auto-i18n-ops"
fi

SRC_URL="$(db_url bench_backup)"
if [[ "${BENCH_REUSE:-0}" == 1 ]] && psql -X -At -d "$SRC_URL" -c "SELECT 1 FROM public.files LIMIT 1" >/dev/null 2>&1; then
    log "reusing the existing bench_backup database"
else
psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS bench_backup WITH (FORCE)" -c "CREATE DATABASE bench_backup"
DATABASE_URL="$SRC_URL" "$OPS" schema migrate >/dev/null 2>&1

# About 185 file rows and 185 batch request rows per MB (a database of about BENCH_SIZE_MB), as the
# application stores them, with text that compresses like real text (pg_dump -Fc: about 4.5x); see
# backup-data.py.
ROWS=$(( SIZE_MB * 185 ))
log "generating ~${SIZE_MB} MB: $ROWS files, $ROWS batch requests"
python3 "$REPO_ROOT/Scripts/bench/backup-data.py" "$ROWS" | psql -X -q -v ON_ERROR_STOP=1 -d "$SRC_URL"
fi
DB_BYTES=$(psql -X -At -d "$SRC_URL" -c "SELECT pg_database_size('bench_backup')")

REPEAT="${BENCH_REPEAT:-3}"
[[ "$REPEAT" =~ ^[1-9][0-9]?$ ]] || { log "BENCH_REPEAT must be 1-99"; exit 2; }

# measure NAME [--before CMD] CMD...: wall seconds and peak RSS (KiB) of a command, via /usr/bin/time
# -v, run REPEAT times (CMD of --before, untimed, before each run): the median wall time, the largest RSS.
# measure_once NAME [--before CMD] CMD... runs it once and `summarize NAME` takes the median, so that
# runs of two commands can be interleaved (their ratio then does not follow the VM's drift).
declare -A WALL RSS SIZE RUNS
measure_once() {
    local name="$1"; shift
    local before=""
    if [[ "$1" == --before ]]; then before="$2"; shift 2; fi
    [[ -n "$before" ]] && eval "$before"
    sync
    /usr/bin/time -v -o "$WORK/time.$name" "$@"
    RUNS[$name]+="$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.$name") "
    local one; one=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.$name")
    (( one > ${RSS[$name]:-0} )) && RSS[$name]=$one
    return 0
}
summarize() {
    local name="$1"
    WALL[$name]=$(printf '%s\n' ${RUNS[$name]} | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
    log "$name: ${WALL[$name]} s (median of ${RUNS[$name]% }), peak RSS $(( ${RSS[$name]} / 1024 )) MiB"
}
measure() {
    local name="$1" r
    for (( r = 1; r <= REPEAT; r++ )); do measure_once "$@"; done
    summarize "$name"
}

# Warm-up, untimed: the first measured command must not be the one that pays for a cold cache.
pg_dump -Fp -d "$SRC_URL" > /dev/null

export BACKUP_REPO="$WORK/repo"
log "backup create --jobs $JOBS ${BENCH_BACKUP_ARGS:-}"
measure ops_backup --before 'rm -rf "$BACKUP_REPO"' env DATABASE_URL="$SRC_URL" "$OPS" backup create --jobs "$JOBS" ${BENCH_BACKUP_ARGS:-} --log-level warning >/dev/null
ARCHIVE="$(ls "$BACKUP_REPO"/bench_backup/*.tar.zst)"
SIZE[ops_backup]=$(stat -c %s "$ARCHIVE")

# The same backup into an S3 repository on loopback: streamed, no local copy. Measured twice: into moto
# itself (OPS_TEST_S3_MOTO_ENDPOINT, the store as a client sees one; the goal's figure) and through the
# SigV4 proxy the tests use (OPS_TEST_S3_ENDPOINT, a second Python process that re-hashes every body on
# the same cores; shown, no goal). A freshly started moto is slower for its first uploads while its heap
# grows (6.5, 5.7, 5.3, 4.8, 4.7 s for five backups in a row on the quiet VM), so two untimed backups go
# first, as pg_dump warms the page cache above. The local backup is measured again between them
# (ops_backup_beside_s3): this VM's speed drifts by 10-30 % over minutes, and the ratio is of neighbours.
if [[ -n "${OPS_TEST_S3_ENDPOINT:-}" ]]; then
    S3_DIRECT="${OPS_TEST_S3_MOTO_ENDPOINT:-$OPS_TEST_S3_ENDPOINT}"
    s3_env() {  # s3_env ENDPOINT: the AWS settings for that endpoint
        S3_ENV=(AWS_ACCESS_KEY_ID="$OPS_TEST_S3_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$OPS_TEST_S3_SECRET_ACCESS_KEY"
                AWS_REGION="${OPS_TEST_S3_REGION:-us-east-1}" AWS_DEFAULT_REGION="${OPS_TEST_S3_REGION:-us-east-1}"
                AWS_ENDPOINT_URL_S3="$1" AWS_S3_ADDRESSING_STYLE=path
                AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null)
    }
    BUCKET="bench-backup-$$-$(date +%s)"
    s3_env "$OPS_TEST_S3_ENDPOINT"
    env "${S3_ENV[@]}" aws --endpoint-url "$OPS_TEST_S3_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null
    S3_CLEAR='env "${S3_ENV[@]}" aws --endpoint-url "$OPS_TEST_S3_ENDPOINT" s3 rm --quiet --recursive "s3://$BUCKET/bench/"'
    S3_BACKUP=(env DATABASE_URL="$SRC_URL" "$OPS" backup create --repo "s3://$BUCKET/bench" --jobs "$JOBS" ${BENCH_BACKUP_ARGS:-} --log-level warning)
    log "warming up the S3 peer: two untimed backups"
    for _ in 1 2; do eval "$S3_CLEAR"; env "${S3_ENV[@]}" "${S3_BACKUP[@]}" >/dev/null; done
    log "backup create to local disk, into moto at $S3_DIRECT and through the proxy, interleaved"
    for (( r = 1; r <= REPEAT; r++ )); do
        measure_once ops_backup_beside_s3 --before 'rm -rf "$WORK/repo-beside"' env DATABASE_URL="$SRC_URL" "$OPS" backup create --repo "$WORK/repo-beside" --jobs "$JOBS" ${BENCH_BACKUP_ARGS:-} --log-level warning >/dev/null
        s3_env "$S3_DIRECT"
        measure_once ops_backup_s3 --before "$S3_CLEAR" env "${S3_ENV[@]}" "${S3_BACKUP[@]}" >/dev/null
        if [[ "$S3_DIRECT" != "$OPS_TEST_S3_ENDPOINT" ]]; then
            s3_env "$OPS_TEST_S3_ENDPOINT"
            measure_once ops_backup_s3_proxy --before "$S3_CLEAR" env "${S3_ENV[@]}" "${S3_BACKUP[@]}" >/dev/null
        fi
    done
    summarize ops_backup_beside_s3; summarize ops_backup_s3
    [[ -n "${RUNS[ops_backup_s3_proxy]:-}" ]] && summarize ops_backup_s3_proxy
    s3_env "$S3_DIRECT"
    SIZE[ops_backup_s3]=$(env "${S3_ENV[@]}" aws --endpoint-url "$S3_DIRECT" s3 ls --recursive "s3://$BUCKET/bench/" | awk '/\.tar\.zst$/ {print $3}')
    eval "$S3_CLEAR"; rm -rf "$WORK/repo-beside"
else
    log "no OPS_TEST_S3_ENDPOINT: the S3 backup is not measured"
fi

measure pg_dump_fd --before 'rm -rf "$WORK/dump.fd"' pg_dump -Fd -j 2 -f "$WORK/dump.fd" -d "$SRC_URL"
SIZE[pg_dump_fd]=$(du -sb "$WORK/dump.fd" | cut -f1)
measure pg_dump_fp bash -c 'pg_dump -Fp -d "$0" > /dev/null' "$SRC_URL"
SIZE[ops_backup_raw]=$(tar -xOf "$ARCHIVE" --wildcards '*.sql' | wc -c)

fresh() { psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" -c "CHECKPOINT"; }
log "restore --jobs 2 (ANALYZE included)"
measure ops_restore --before 'fresh bench_r_ops' "$OPS" restore "$ARCHIVE" --target-url "$(db_url bench_r_ops)" --jobs 2 --log-level warning >/dev/null
log "pg_restore -j 2 + vacuumdb -j 2 --analyze-only"
measure pg_restore_2 --before 'fresh bench_r_pgr2' bash -c 'pg_restore -j 2 -d "$0" "$1" && vacuumdb -j 2 --analyze-only -q -d "$0"' "$(db_url bench_r_pgr2)" "$WORK/dump.fd"
# What an anti-wraparound autovacuum would later do to each: VACUUM (FREEZE) right after the restore
# (once: a second VACUUM (FREEZE) finds nothing left to do).
REPEAT=1
measure ops_freeze psql -X -q -d "$(db_url bench_r_ops)" -c 'VACUUM (FREEZE)'
measure pgr_freeze psql -X -q -d "$(db_url bench_r_pgr2)" -c 'VACUUM (FREEZE)'

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
mib() { python3 -c "print(f'{$1 / 1048576:.1f}')"; }

echo
echo "## Backup benchmark: $(mib "$DB_BYTES") MiB database (pg_database_size), $(nproc) cores, jobs $JOBS ${BENCH_BACKUP_ARGS:-}, median of ${BENCH_REPEAT:-3} runs each"
echo "$(lscpu | awk -F': +' '/Model name/ {print $2}'), PostgreSQL $(psql -X -At -d "$SRC_URL" -c 'SHOW server_version'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "plain SQL $(mib "${SIZE[ops_backup_raw]}") MiB; backup compresses it $(ratio "${SIZE[ops_backup_raw]}" "${SIZE[ops_backup]}")x"
echo
echo "| tool | wall s | size MiB | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
for name in ops_backup ${WALL[ops_backup_s3]:+ops_backup_beside_s3 ops_backup_s3} ${WALL[ops_backup_s3_proxy]:+ops_backup_s3_proxy} pg_dump_fp pg_dump_fd ops_restore pg_restore_2 ops_freeze pgr_freeze; do
    size="${SIZE[$name]:-}"
    printf '| %s | %s | %s | %s |\n' "$name" "${WALL[$name]}" "${size:+$(mib "$size")}" "$(( ${RSS[$name]} / 1024 ))"
done
echo
echo "| target | measured | goal |"
echo "| --- | ---: | ---: |"
echo "| backup time / pg_dump -Fp > /dev/null time | $(ratio "${WALL[ops_backup]}" "${WALL[pg_dump_fp]}") | <= 1.2 |"
echo "| backup time / pg_dump -Fd -j 2 time | $(ratio "${WALL[ops_backup]}" "${WALL[pg_dump_fd]}") | <= 0.6 |"
echo "| restore --jobs 2 (analyzed) / pg_restore -j 2 + vacuumdb -j 2 --analyze-only | $(ratio "${WALL[ops_restore]}" "${WALL[pg_restore_2]}") | <= 0.70 |"
echo "| VACUUM (FREEZE) after: restore / pg_restore (s) | ${WALL[ops_freeze]} / ${WALL[pgr_freeze]} | - |"
echo "| peak RSS backup / restore (MiB) | $(( ${RSS[ops_backup]} / 1024 )) / $(( ${RSS[ops_restore]} / 1024 )) | <= 128 |"
if [[ -n "${WALL[ops_backup_s3]:-}" ]]; then
    echo "| backup to S3 (loopback moto) / backup to local disk (interleaved runs) | $(ratio "${WALL[ops_backup_s3]}" "${WALL[ops_backup_beside_s3]}") | <= 1.3 |"
    echo "| peak RSS backup to S3 (MiB) | $(( ${RSS[ops_backup_s3]} / 1024 )) | <= 128 |"
    if [[ -n "${WALL[ops_backup_s3_proxy]:-}" ]]; then
        echo "| backup to S3 through the SigV4 proxy / backup to local disk | $(ratio "${WALL[ops_backup_s3_proxy]}" "${WALL[ops_backup_beside_s3]}") | - |"
    fi
fi
