#!/usr/bin/env bash
# Benchmark (issue 16): retries must not slow ingest down. `tally usage ingest`
# of 1 million NDJSON events with 0 % and with 1 % re-sent (duplicates spread
# through the file), each into empty usage tables, side by side in the same
# run with the baseline: `psql \copy` of the 0 % events (CSV) into a bare
# table keyed like a usage partition (event id, customer).
# Target: the 1 % rate >= 0.8x the 0 % rate.
#   bench/usage-duplicates.sh         # EVENTS=1000000 RUNS=3 by default
source "$(dirname "$0")/common.sh"
events=${EVENTS:-1000000}
runs=${RUNS:-3}
# The events are of 2026-11: ingest them as of the start of the next month, so
# they stay inside the accepted window (docs/usage.md) whatever today is.
export TALLY_NOW=2026-12-01T00:00:00Z

"$tally" rates load >&2
"$tally" customers import "$(bench_customers)" >&2
"$tally" usage generate --month 2026-11 --days 1 --events "$events" --duplicate-percent 0 \
    --out "$work/e0.ndjson" --csv "$work/e0.csv" >&2
"$tally" usage generate --month 2026-11 --days 1 --events "$events" --duplicate-percent 1 --out "$work/e1.ndjson" >&2
lines1=$(wc -l <"$work/e1.ndjson")

empty() { psql "$DATABASE_URL" -q -c "TRUNCATE usage_events, usage_hourly" >&2; }
bare() {
    psql "$DATABASE_URL" -q -c "DROP TABLE IF EXISTS bare_events; CREATE TABLE bare_events (id text, customer text, model text,
        occurred_at timestamptz, input_tokens bigint, cached_input_tokens bigint, output_tokens bigint, site text, tag text,
        PRIMARY KEY (id, customer))" >&2
    psql "$DATABASE_URL" -q -c "\\copy bare_events FROM '$work/e0.csv' WITH (FORMAT csv, HEADER)" >&2
}
ingest() { "$tally" usage ingest "$1" --rejects "$work/rejects.ndjson" >"$work/$2.out"; }
# Milliseconds of one command.
timed() { local start; start=$(date +%s%N); "$@"; echo $(( ($(date +%s%N) - start) / 1000000 )); }

b=() t0=() t1=()
for _ in $(seq "$runs"); do
    b+=("$(timed bare)")
    empty; t0+=("$(timed ingest "$work/e0.ndjson" zero)")
    empty; t1+=("$(timed ingest "$work/e1.ndjson" one)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
mb=$(median "${b[@]}") m0=$(median "${t0[@]}") m1=$(median "${t1[@]}")
echo "events: $events (0 %), $lines1 lines (1 % re-sent); median of $runs runs, each into empty tables"
echo "psql \\copy into a bare keyed table (0 %): ${mb} ms, $(( events * 1000 / mb )) rows/s"
echo "tally usage ingest, 0 % duplicates:      ${m0} ms, $(( events * 1000 / m0 )) events/s   ($(awk "BEGIN { printf \"%.2f\", $mb / $m0 }")x bare)"
echo "tally usage ingest, 1 % duplicates:      ${m1} ms, $(( lines1 * 1000 / m1 )) events/s   ($(awk "BEGIN { printf \"%.2f\", $mb * $lines1 / $events / $m1 }")x bare)"
echo "rate with 1 % / rate with 0 %:           $(awk "BEGIN { printf \"%.2f\", ($lines1 / $m1) / ($events / $m0) }")  (target >= 0.8)"
echo "tally said (0 %): $(cat "$work/zero.out")"
echo "tally said (1 %): $(cat "$work/one.out")"
