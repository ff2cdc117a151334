#!/usr/bin/env bash
# Benchmark (issue 15): single-event POSTs alone, the second phase of
# bench/serve.sh without the batch phase before it: a throwaway PostgreSQL,
# the shipped cards, 200 customers, PREFILL events of 2026-11 ingested by
# the CLI first (default 0), then `tally serve` and wrk offering RATE
# single-event requests a second (default 2,000) over CONNECTIONS
# connections (default 100) for SECONDS_PER_TEST (default 20). Prints wrk's
# latency percentiles, the server's own request-duration histogram for the
# route, and the deadlocks PostgreSQL counted. Target: p99 <= 20 ms.
#   bench/serve-single.sh   # PREFILL=0 RATE=2000 CONNECTIONS=100 SECONDS_PER_TEST=20 PRIME_WAL=1
source "$(dirname "$0")/common.sh"
command -v wrk >/dev/null || scripts/install-packages.sh wrk
export TALLY_NOW=2026-12-01T00:00:00Z  # the events are of 2026-11: inside the accepted window whatever today is
rate=${RATE:-2000}
"$tally" migrate >&2
"$tally" rates load >&2
"$tally" customers import "$(bench_customers)" >&2
"$tally" usage generate --month 2026-11 --days 1 --events 1000 --duplicate-percent 0 --out "$work/events.ndjson" >&2
if [ "${PREFILL:-0}" != 0 ]; then
    "$tally" usage generate --month 2026-11 --days 1 --events "$PREFILL" --duplicate-percent 0 --id-prefix pre- --out "$work/pre.ndjson" >&2
    "$tally" usage ingest "$work/pre.ndjson" >&2
    psql "$DATABASE_URL user=tally_admin" -q -c "VACUUM ANALYZE" -c "CHECKPOINT" >&2  # the superuser (conninfo: the last user wins)
fi
# PRIME_WAL=1 (default): the cluster first writes and checkpoints ~300 MB
# of WAL with min_wal_size 1 GB, so that, like a database in service, it
# recycles WAL segments. A fresh cluster creates (and zero-fills) each new
# 16 MB segment while the writers wait: about every 5 s at this rate, 40–90
# requests over 50 ms each time. PRIME_WAL=0 measures the fresh cluster.
if [ "${PRIME_WAL:-1}" != 0 ]; then
    psql "$DATABASE_URL user=tally_admin" -q -c "ALTER SYSTEM SET min_wal_size = '1GB'" -c "SELECT pg_reload_conf()" \
        -c "CREATE TABLE bench_wal AS SELECT g, repeat('x', 200) AS t FROM generate_series(1, 1500000) g" \
        -c "DROP TABLE bench_wal" -c "CHECKPOINT" >&2
fi
key=$("$tally" keys create --name bench --role admin | tail -n 1)
"$tally" serve --port 0 --connections 8 --log-level warning --slow-request-ms 50 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; stop_throwaway_db' EXIT
wait_for_serve "$work/serve.log"
first=$(head -n 1 "$work/events.ndjson")
field() { sed "s/.*\"$1\":\"\([^\"]*\)\".*/\1/" <<<"$first"; }
wrk -t 2 -c "${CONNECTIONS:-100}" -d "${SECONDS_PER_TEST:-20}s" --latency -s bench/serve/single.lua "http://127.0.0.1:$port" \
    -- "$key" 200 "$(field model)" 2026-11-30T12:00:00Z "$(awk "BEGIN { print 2 * 1000 / $rate }")" "$(field site)" >"$work/wrk.txt"
echo "prefilled: ${PREFILL:-0} events; WAL primed: $([ "${PRIME_WAL:-1}" != 0 ] && echo yes || echo no); single events offered at ${rate}/s: $(grep 'Requests/sec' "$work/wrk.txt" | awk '{print $2}') requests/s"
grep -E '^ +(50|75|90|99)%|Latency  |not accepting' "$work/wrk.txt"
echo "server-side durations (requests at or under each bound, seconds):"
curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$port/metrics" \
    | grep 'request_duration_seconds_bucket.*usage/events' | sed 's/.*le="\([^"]*\)"} \(.*\)/  le \1: \2/'
echo "requests over 50 ms in the server: $(grep -c "slow request" "$work/serve.log" || true)"
echo "deadlocks: $(psql "$DATABASE_URL" -Atc "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")"
