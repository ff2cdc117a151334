#!/usr/bin/env bash
# Benchmark (issue 16, retention): `tally usage archive` of a month of EVENTS
# raw events (verify, COPY TO STDOUT in one snapshot, gzip, SHA-256, fsync,
# read back and check, detach and drop) and `tally usage restore` of it
# (checksums, gunzip, COPY FROM STDIN, counts and totals), each against the
# baseline measured in the same run: `psql \copy (SELECT … ORDER BY …) TO
# PROGRAM 'gzip'` and `\copy … FROM PROGRAM 'gunzip'` of the same rows.
#   bench/usage-archive.sh            # EVENTS=1000000 by default
source "$(dirname "$0")/common.sh"
events=${EVENTS:-1000000}

# Events of 2026-11, ingested as of 2026-12-01; 2026-09 … 2027-01 finalized
# on 2027-02-05; archived after the 60 days of grace.
TALLY_NOW=2026-12-01T00:00:00Z "$tally" rates load >&2
TALLY_NOW=2026-12-01T00:00:00Z "$tally" customers import "$(bench_customers)" >&2
"$tally" usage generate --month 2026-11 --events "$events" --duplicate-percent 0 --out "$work/events.ndjson" >&2
TALLY_NOW=2026-12-01T00:00:00Z "$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects.ndjson" >&2
for month in 2026-09 2026-10 2026-11 2026-12 2027-01; do
    TALLY_NOW=2027-02-05T09:00:00Z "$tally" invoice finalize --period "$month" >/dev/null
done
bytes=$(psql "$DATABASE_URL" -qAt -c "SELECT pg_total_relation_size('usage_events_2026_11')")

start=$(date +%s%N)
psql "$DATABASE_URL" -q -c "\\copy (SELECT * FROM usage_events_2026_11 ORDER BY customer_id COLLATE \"C\", event_id COLLATE \"C\") TO PROGRAM 'gzip > $work/bare.tsv.gz'" >&2
bare_out_ms=$(( ($(date +%s%N) - start) / 1000000 ))

start=$(date +%s%N)
TALLY_NOW=2027-04-10T09:00:00Z "$tally" usage archive --month 2026-11 --out "$work/archive" >"$work/archive.out"
archive_ms=$(( ($(date +%s%N) - start) / 1000000 ))

psql "$DATABASE_URL" -q -c "CREATE TABLE bare_events (LIKE usage_events INCLUDING ALL)" >&2
start=$(date +%s%N)
psql "$DATABASE_URL" -q -c "\\copy bare_events FROM PROGRAM 'gzip -dc $work/bare.tsv.gz'" >&2
bare_in_ms=$(( ($(date +%s%N) - start) / 1000000 ))

start=$(date +%s%N)
"$tally" usage restore --from "$work/archive" >"$work/restore.out"
restore_ms=$(( ($(date +%s%N) - start) / 1000000 ))

archived=$(du -cb "$work"/archive/*.tsv.gz | tail -1 | cut -f1)
echo "events: $events; partition with indexes: $bytes bytes ($(( bytes / events )) per event); archive: $archived bytes ($(( archived / events )) per event)"
echo "psql \\copy TO PROGRAM gzip:     ${bare_out_ms} ms, $(( events * 1000 / bare_out_ms )) rows/s"
echo "tally usage archive:            ${archive_ms} ms, $(( events * 1000 / archive_ms )) events/s (verify, write, read back, drop)"
echo "psql \\copy FROM PROGRAM gunzip: ${bare_in_ms} ms, $(( events * 1000 / bare_in_ms )) rows/s"
echo "tally usage restore:            ${restore_ms} ms, $(( events * 1000 / restore_ms )) events/s (checksums, copy, totals)"
echo "tally said: $(cat "$work/archive.out") / $(cat "$work/restore.out")"
