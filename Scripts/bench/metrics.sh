#!/usr/bin/env bash
# /metrics under load: wrk at RATE requests/s for DURATION seconds against the auto-i18n-ops daemon,
# then against postgres_exporter and redis_exporter (Debian packages) on the same machine.
# Prints achieved rate, p50/p99 latency, and what each exporter cost the stores during the run:
# PostgreSQL transactions (pg_stat_database.xact_commit delta) and Redis commands
# (INFO stats total_commands_processed delta).
#
# Usage: Scripts/bench/metrics.sh            (DURATION=30 RATE=500 CONNECTIONS=10 by default)
# Uses DATABASE_URL/REDIS_URL when both are set, else the local stack (Scripts/stack).
# wrk has no rate limit; metrics-throttle.lua makes each of CONNECTIONS connections wait
# CONNECTIONS/RATE s between requests. Latency is wrk's (service time; no coordinated-omission
# correction, which matters little when the server keeps up). Target: p99 <= 5 ms, and store load
# independent of the request rate (only the daemon's periodic refresh, --metrics-interval 15s).
set -euo pipefail

DURATION="${DURATION:-30}"
RATE="${RATE:-500}"
CONNECTIONS="${CONNECTIONS:-10}"
export RATE CONNECTIONS

log() { printf 'bench: %s\n' "$*" >&2; }
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk psql redis-cli; do
    command -v "$tool" >/dev/null || { log "$tool is required (apt-get install wrk postgresql-client redis-tools)"; exit 1; }
done
if ! command -v prometheus-postgres-exporter >/dev/null || ! command -v prometheus-redis-exporter >/dev/null; then
    log "installing prometheus-postgres-exporter and prometheus-redis-exporter"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus-postgres-exporter prometheus-redis-exporter >/dev/null
    # The packages start their services where systemd runs; this benchmark runs its own instances.
    systemctl stop prometheus-postgres-exporter prometheus-redis-exporter 2>/dev/null || true
fi

if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then
    eval "$(Scripts/stack start)"
fi
export DATABASE_URL REDIS_URL

log "building (release)"
swift build -c release --product auto-i18n-ops >/dev/null
BIN="$(swift build -c release --show-bin-path)/auto-i18n-ops"
"$BIN" schema migrate >/dev/null
"$BIN" demo seed >/dev/null

REDIS_HOSTPORT="${REDIS_URL#redis://}"; REDIS_HOSTPORT="${REDIS_HOSTPORT##*@}"; REDIS_HOSTPORT="${REDIS_HOSTPORT%%/*}"
redis_commands() { redis-cli -u "$REDIS_URL" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" { print $2 }'; }
pg_transactions() { psql "$DATABASE_URL" -Atc "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }

wait_http() {
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.1; done
    log "$1 does not answer"; exit 1
}

# 1. auto-i18n-ops with an empty schedule: only the metrics refresh touches the stores.
printf '# benchmark: no jobs\n' > "$WORK/empty.schedule"
"$BIN" run --schedule "$WORK/empty.schedule" --listen 127.0.0.1:19465 --log-level warning 2>"$WORK/daemon.log" &
PIDS+=($!)
# 2. postgres_exporter and redis_exporter with their defaults.
# lib/pq defaults to sslmode=require; the local stack has no TLS.
PG_DSN="$DATABASE_URL"
[[ "$PG_DSN" == *sslmode=* ]] || PG_DSN="$PG_DSN$([[ "$PG_DSN" == *\?* ]] && echo '&' || echo '?')sslmode=disable"
DATA_SOURCE_NAME="$PG_DSN" prometheus-postgres-exporter --web.listen-address=127.0.0.1:19187 --log.level=warn 2>"$WORK/pg_exporter.log" &
PIDS+=($!)
prometheus-redis-exporter --web.listen-address=127.0.0.1:19121 --redis.addr="redis://$REDIS_HOSTPORT" 2>"$WORK/redis_exporter.log" &
PIDS+=($!)
wait_http http://127.0.0.1:19465/metrics
wait_http http://127.0.0.1:19187/metrics
wait_http http://127.0.0.1:19121/metrics

run() {
    local name="$1" url="$2"
    curl -fsS -o /dev/null "$url"   # warm
    # PostgreSQL 15 backends flush their statistics at most every second while busy and 10 s after
    # going idle: wait for every earlier scrape's transactions to be counted before and after a run.
    sleep 11
    local tx0 rc0 out tx1 rc1
    tx0="$(pg_transactions)"; rc0="$(redis_commands)"
    out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s Scripts/bench/metrics-throttle.lua "$url")"
    sleep 11
    tx1="$(pg_transactions)"; rc1="$(redis_commands)"
    local rps p50 p99 errors bytes
    rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
    p50="$(awk '$1 == "50%" { print $2 }' <<<"$out")"
    p99="$(awk '$1 == "99%" { print $2 }' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out" | tr '\n' ' ')"
    bytes="$(curl -fsS "$url" | wc -c)"
    # The two stats reads themselves are transactions/commands: subtract them.
    printf '| %s | %s | %s | %s | %s | %s | %s |%s\n' "$name" "$rps" "$p50" "$p99" "$((tx1 - tx0 - 1))" "$((rc1 - rc0 - 1))" "$bytes" "${errors:+ $errors}"
}

log "wrk: ${DURATION}s at ${RATE} req/s over ${CONNECTIONS} connections, one target at a time"
echo "| /metrics of | achieved req/s | p50 | p99 | PostgreSQL transactions during the run | Redis commands during the run | body bytes |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run "auto-i18n-ops run (refresh every 15 s)" http://127.0.0.1:19465/metrics
run "postgres_exporter $(prometheus-postgres-exporter --version 2>&1 | awk 'NR == 1 { print $3 }')" http://127.0.0.1:19187/metrics
run "redis_exporter $(prometheus-redis-exporter --version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)" http://127.0.0.1:19121/metrics
