#!/usr/bin/env bash
# Benchmark (issue 4): `tally usage ingest` of 5 million NDJSON events (parse,
# validate, look the keys up in the dedupe window, COPY into the month partition, hourly
# rollup, chunked transactions) against the baseline measured in the same run:
# `psql \copy` of the same rows (CSV) into a bare table with the same unique
# key (customer, event id).
#   bench/usage.sh            # EVENTS=5000000 by default
source "$(dirname "$0")/common.sh"
events=${EVENTS:-5000000}
# The events are of 2026-11: ingest them as of the start of the next month, so
# they stay inside the accepted window (docs/usage.md) whatever today is.
export TALLY_NOW=2026-12-01T00:00:00Z

"$tally" rates load >&2
"$tally" customers import "$(bench_customers)" >&2
"$tally" usage generate --month 2026-11 --days 1 --events "$events" --duplicate-percent 0 \
    --out "$work/events.ndjson" --csv "$work/events.csv" >&2

psql "$DATABASE_URL" -q -c "CREATE TABLE bare_events (id text, customer text, model text, occurred_at timestamptz,
    input_tokens bigint, cached_input_tokens bigint, output_tokens bigint, site text, tag text, UNIQUE (customer, id))" >&2
start=$(date +%s%N)
psql "$DATABASE_URL" -q -c "\\copy bare_events FROM '$work/events.csv' WITH (FORMAT csv, HEADER)" >&2
bare_ms=$(( ($(date +%s%N) - start) / 1000000 ))

start=$(date +%s%N)
"$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects.ndjson" >"$work/ingest.out"
tally_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# The same file again: every event is a duplicate (found by the batch lookups).
start=$(date +%s%N)
"$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects.ndjson" >"$work/again.out"
again_ms=$(( ($(date +%s%N) - start) / 1000000 ))

echo "events: $events"
echo "psql \\copy into a bare keyed table: ${bare_ms} ms, $(( events * 1000 / bare_ms )) rows/s"
echo "tally usage ingest:                 ${tally_ms} ms, $(( events * 1000 / tally_ms )) events/s"
echo "ratio (tally rate / bare rate):     $(awk "BEGIN { printf \"%.2f\", $bare_ms / $tally_ms }")  (targets: >= 100,000 events/s and >= 0.5; aim 0.75)"
echo "tally said: $(cat "$work/ingest.out")"
echo "re-sent file (all duplicates):      ${again_ms} ms, $(( events * 1000 / again_ms )) events/s"
echo "tally said: $(cat "$work/again.out")"
