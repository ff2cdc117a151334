#!/usr/bin/env bash
# Benchmark (issue 15): `tally serve` under load, side by side with the CLI in
# the same run, on a throwaway PostgreSQL, release build, wrk as load generator.
#   1. HTTP ingest: batches of 1,000 NDJSON events POSTed by CLIENTS concurrent
#      connections (default 8) for SECONDS_PER_TEST (default 20), every event new; then
#      `tally usage ingest` of exactly the events the server took, into a
#      second database of the same cluster. Target: HTTP >= 0.5x the CLI.
#   2. Single-event POSTs offered at RATE requests/s (default 2,000):
#      latency percentiles. Target: p99 <= 20 ms.
#   3. GET of a finalized invoice (JSON): latency percentiles. Target: p99 <= 10 ms.
#   Peak RSS of the server over the whole run (VmHWM). Target: <= 300 MB.
#   bench/serve.sh   # EVENTS=3000000 CLIENTS=8 SECONDS_PER_TEST=20 RATE=2000 SETTLE=1 WARMUP=0
source "$(dirname "$0")/common.sh"
events=${EVENTS:-3000000}
clients=${CLIENTS:-8}
seconds=${SECONDS_PER_TEST:-20}
rate=${RATE:-2000}
command -v wrk >/dev/null || scripts/install-packages.sh wrk
# The events are of 2026-11: everything runs as of the start of the next
# month, so they stay inside the accepted window whatever today is.
export TALLY_NOW=2026-12-01T00:00:00Z

cli_url=$DATABASE_URL
http_url="$DATABASE_URL dbname=tally_http"  # conninfo: the last dbname wins
psql "$cli_url" -q -c "CREATE DATABASE tally_http" >&2
for url in "$cli_url" "$http_url"; do
    DATABASE_URL=$url "$tally" migrate >&2
    DATABASE_URL=$url "$tally" rates load >&2
    DATABASE_URL=$url "$tally" customers import "$(bench_customers)" >&2
done
"$tally" usage generate --month 2026-11 --days 1 --events "$events" --duplicate-percent 0 \
    --out "$work/events.ndjson" >&2
mkdir "$work/batches"
split -l 1000 -a 6 -d "$work/events.ndjson" "$work/batches/batch-"
batches=$(ls "$work/batches" | wc -l)

key=$(DATABASE_URL=$http_url "$tally" keys create --name bench --role admin | tail -n 1)
port_file=$work/serve.log
# Requests over 50 ms are logged (as warnings): counted per phase below.
DATABASE_URL=$http_url "$tally" serve --port 0 --connections "$clients" --log-level warning --slow-request-ms 50 2>"$port_file" &
server=$!
# KEEP_LOG=FILE: keep PostgreSQL's log, with every autovacuum and checkpoint
# in it, to see what ran during a phase.
if [ -n "${KEEP_LOG:-}" ]; then
    psql "$DATABASE_URL user=tally_admin" -q -c "ALTER SYSTEM SET log_autovacuum_min_duration = 0" \
        -c "ALTER SYSTEM SET log_checkpoints = on" -c "SELECT pg_reload_conf()" >&2
fi
keep_log() { [ -z "${KEEP_LOG:-}" ] || cp "$work/db/postgres.log" "$KEEP_LOG"; }
trap 'kill $server 2>/dev/null || true; keep_log; stop_throwaway_db' EXIT
wait_for_serve "$port_file"
base=http://127.0.0.1:$port
lua=$PWD/bench/serve

# 1. Batches, CLIENTS connections (one per wrk thread), SECONDS long.
wrk -t "$clients" -c "$clients" -d "${seconds}s" --timeout 30s -s "$lua/batches.lua" "$base" \
    -- "$work/batches" "$batches" "$key" "$clients" >"$work/wrk-batches.txt"
sleep 1
taken=$(psql "$http_url" -Atc "SELECT count(*) FROM usage_events")
[ "$taken" -lt "$events" ] || echo "warning: the server took every event before the end; raise EVENTS" >&2
http_rate=$(( taken / seconds ))
# The CLI ingests exactly the events the server took (the same files, in order
# of batch numbers, interleaved by thread: the server took a subset; the CLI
# takes the same count from the front, which has the same shape).
head -n "$taken" "$work/events.ndjson" >"$work/same.ndjson"
start=$(date +%s%N)
DATABASE_URL=$cli_url "$tally" usage ingest "$work/same.ndjson" --rejects "$work/rejects.ndjson" >"$work/cli.out"
cli_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cli_rate=$(( taken * 1000 / cli_ms ))

# Between the phases, the cluster settles (SETTLE=1, the default): phase 1
# and the CLI just wrote two million events and their rollups in 40 s, and
# the autovacuum and checkpoint they set off would otherwise run during
# phase 2 and be measured as its latency. SETTLE=0 measures without it.
settle() {
    [ "${SETTLE:-1}" = 1 ] || return 0
    for url in "$cli_url" "$http_url"; do psql "$url user=tally_admin" -q -c "VACUUM ANALYZE" >&2; done
    psql "$DATABASE_URL user=tally_admin" -q -c "CHECKPOINT" >&2  # the superuser (conninfo: the last user wins)
}
settle

mark() { psql "$DATABASE_URL user=tally_admin" -q -c "DO \$\$ BEGIN RAISE LOG 'bench/serve.sh: %', '$1'; END \$\$" >&2; }

# 2. Single events offered at RATE/s: 2 wrk threads, each booking a request
# every 2000/RATE ms (bench/serve/single.lua), over CONNECTIONS connections
# (default 100), to the bench's 200 customers in turn; model and site of a
# generated event.
connections=${CONNECTIONS:-100}
interval=$(awk "BEGIN { print 2 * 1000 / $rate }")
first=$(head -n 1 "$work/events.ndjson")
field() { sed "s/.*\"$1\":\"\([^\"]*\)\".*/\1/" <<<"$first"; }
# WARMUP=S: S seconds of the same single events first, not measured (the
# switch from the batch phase; its own latencies are printed apart). The
# warm-up's events have ids of their own, so the measured events are new.
if [ "${WARMUP:-0}" != 0 ]; then
    mark "single events warm-up"
    wrk -t 2 -c "$connections" -d "${WARMUP}s" --latency -s "$lua/single.lua" "$base" \
        -- "$key" 200 "$(field model)" 2026-11-30T12:00:00Z "$interval" "$(field site)" warmup >"$work/wrk-warmup.txt"
fi
mark "single events start"
slow_before=$(grep -c "slow request" "$port_file" || true)
# PERF=FILE: `perf record -a -g` of the whole machine during the measured phase.
[ -z "${PERF:-}" ] || { perf record -a -g -o "$PERF" -- sleep "$seconds" >/dev/null 2>&1 & }
wrk -t 2 -c "$connections" -d "${seconds}s" --latency -s "$lua/single.lua" "$base" \
    -- "$key" 200 "$(field model)" 2026-11-30T12:00:00Z "$interval" "$(field site)" >"$work/wrk-single.txt"
mark "single events end"
slow_single=$(( $(grep -c "slow request" "$port_file" || true) - slow_before ))

# 3. GET of a finalized invoice.
DATABASE_URL=$http_url "$tally" invoice run --period 2026-11 >&2
DATABASE_URL=$http_url "$tally" invoice finalize --period 2026-11 --date 2026-12-01 >&2
number=$(psql "$http_url" -Atc "SELECT number FROM invoices WHERE number IS NOT NULL ORDER BY number LIMIT 1")
settle
wrk -t 2 -c 4 -d "${seconds}s" --latency -H "Authorization: Bearer $key" "$base/v1/invoices/$number" >"$work/wrk-get.txt"

rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
kill -TERM $server; wait $server; stopped=$?

percentiles() { grep -E '^ +(50|90|99)%' "$1" | awk '{ printf "%s %s  ", $1, $2 }'; }
echo "settled between phases (VACUUM ANALYZE, CHECKPOINT): $([ "${SETTLE:-1}" = 1 ] && echo yes || echo no)"
echo "events offered: $events in $batches batches of 1,000; HTTP clients: $clients; ${seconds} s per test"
echo "HTTP ingest (batches of 1,000):   $taken events in ${seconds} s, ${http_rate} events/s ($(grep 'Requests/sec' "$work/wrk-batches.txt" | awk '{print $2}') requests/s; $(grep 'non-200' "$work/wrk-batches.txt"))"
echo "tally usage ingest, same events:  ${cli_ms} ms, ${cli_rate} events/s"
echo "ratio HTTP / CLI:                 $(awk "BEGIN { printf \"%.2f\", $http_rate / $cli_rate }")  (target >= 0.5)"
echo "single events offered at ${rate}/s: $(grep 'Requests/sec' "$work/wrk-single.txt" | awk '{print $2}') requests/s; $(percentiles "$work/wrk-single.txt") (target p99 <= 20 ms; $(grep 'not accepting' "$work/wrk-single.txt"); over 50 ms in the server: $slow_single)"
[ "${WARMUP:-0}" = 0 ] || echo "  after a ${WARMUP} s warm-up, whose own figures were: $(percentiles "$work/wrk-warmup.txt")"
echo "GET /v1/invoices/$number:  $(grep 'Requests/sec' "$work/wrk-get.txt" | awk '{print $2}') requests/s; $(percentiles "$work/wrk-get.txt") (target p99 <= 10 ms)"
echo "server peak RSS:                  $(( rss_kb / 1024 )) MB (target <= 300 MB); exit status after SIGTERM: $stopped"
