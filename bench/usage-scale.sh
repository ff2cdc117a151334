#!/usr/bin/env bash
# Benchmark (issue 16): usage at the seed's scale. `tally usage ingest` of
# EVENTS new events (default 50 million) in FILES files (default 5), 1 % of
# each file's lines re-sent from the file before it (spread through it), into
# a month partition that already holds PREFILL events (default 50 million),
# chunked (a commit per million events). Side by side in the same run with
# the baseline: `psql \copy` of the same new events (CSV) into a bare table
# with the partition's key that holds the same PREFILL events first.
# The new events are in time order, RATE a second (default 4,000: the
# seed's average of 330 million a day), from the 11th, each file going on
# where the one before ended: as the serving fleet sends them, so a chunk
# holds a few minutes of traffic and the hourly rollup groups it touches are
# as many as real traffic's (events spread at random over days made about
# one rollup group per event).
# Then `tally invoice run` for the CUSTOMERS customers (default 10,000)
# against a bare GROUP BY over the same rollups, interleaved (RUNS, default 5).
# Targets: >= 150,000 events/s and >= 0.75x the bare \copy; the last 10 M
# within 20 % of the first 10 M; tally's peak RSS <= 1 GB; invoice run <= 3x.
# Disk: about 45 GB at the defaults (the bare table is dropped before the
# ingest; the files are deleted at the end).
#   bench/usage-scale.sh    # EVENTS=50000000 FILES=5 PREFILL=50000000 CUSTOMERS=10000 RATE=4000
source "$(dirname "$0")/common.sh"
events=${EVENTS:-50000000}
files=${FILES:-5}
prefill=${PREFILL:-50000000}
customers=${CUSTOMERS:-10000}
runs=${RUNS:-5}
rate=${RATE:-4000}
per_file=$(( events / files ))
export TALLY_NOW=2026-12-01T00:00:00Z
[ -x /usr/bin/time ] || scripts/install-packages.sh time  # tally's peak RSS, below
say() { echo "[$(date -u +%T)] $*" >&2; }
checkpoint() { psql "$DATABASE_URL user=tally_admin" -q -c "CHECKPOINT" >&2; }  # the superuser (conninfo: the last user wins)

"$tally" rates load >&2
# CUSTOMERS customers on the public card (a file for `tally customers import`).
{
    echo "id,name,billing_email,country,vat_id,tax_treatment,currency,card"
    for i in $(seq 1 "$customers"); do echo "cust-$i,Customer $i,billing@cust-$i.example,US,,standard,USD,public"; done
} >"$work/customers.csv"
"$tally" customers import "$work/customers.csv" >&2
psql "$DATABASE_URL" -q -c "SELECT ensure_usage_partition('2026-11-01')" >&2

# The new events: FILES files with ids of their own, in time order from the
# 11th (the prefill, below, is in the first 10 days). 1 % re-sent: in the first file, right after the event (a client
# retry); in the others, every 100th line is a line of the file before (an
# event re-sent after its file was ingested: found by the look-up).
say "generating $events events in $files files"
for f in $(seq 1 "$files"); do
    from=$(date -u -d "@$(( $(date -u -d 2026-11-11T00:00:00Z +%s) + (f - 1) * per_file / rate ))" +%FT%TZ)
    "$tally" usage generate --month 2026-11 --per-second "$rate" --from "$from" --events "$per_file" --duplicate-percent 0 \
        --id-prefix "f$f-" --seed "$f" --out "$work/new-$f.ndjson" --csv "$work/new-$f.csv" >&2
done
for f in $(seq 1 "$files"); do
    if [ "$f" -eq 1 ]; then
        awk '{ print } NR % 99 == 0 { print }' "$work/new-1.ndjson" >"$work/in-1.ndjson"
    else
        awk -v prev="$work/new-$((f - 1)).ndjson" '{ print } NR % 99 == 0 { if ((getline line < prev) > 0) print line }' \
            "$work/new-$f.ndjson" >"$work/in-$f.ndjson"
    fi
done
for f in $(seq 1 "$files"); do mv "$work/in-$f.ndjson" "$work/new-$f.ndjson"; done
lines=$(cat "$work"/new-*.ndjson | wc -l)

# PREFILL events already in the month, made by SQL (ids pre-000000001 …, in
# key order), in its first 10 days: each customer uses 3 models through one
# key. Written by one statement into the given table.
prefill_sql() { # table
    cat <<SQL
WITH models AS (SELECT array_agg(DISTINCT model ORDER BY model) AS m FROM rate_card_prices WHERE card_id = 'public')
INSERT INTO $1 (month, customer_id, event_id, occurred_at, model, site_id, tag, input_tokens, cached_input_tokens, output_tokens, late, billing_month)
SELECT '2026-11-01', 'cust-' || c, 'pre-' || lpad(i::text, 9, '0'),
       timestamptz '2026-11-01 00:00:00+00' + (i % 864000) * interval '1 second',
       m[1 + (c * 7 + (i / $customers) % 3 * 11) % array_length(m, 1)], 'us-ashburn-1', 'key-' || (c % 3),
       50 + i % 6000, 0, 10 + i % 1200, false, '2026-11-01'
FROM models, generate_series(1, $prefill) i, LATERAL (SELECT 1 + i % $customers AS c) k
SQL
}
bare_columns="month date, customer_id text, event_id text, occurred_at timestamptz, model text, site_id text, tag text,
    input_tokens bigint, cached_input_tokens bigint, output_tokens bigint, late boolean, billing_month date"
say "baseline: a bare keyed table with $prefill events"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE TABLE bare_events ($bare_columns, PRIMARY KEY (event_id, customer_id))" >&2
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "$(prefill_sql bare_events)" -c "VACUUM ANALYZE bare_events" >&2
checkpoint
say "baseline: \\copy of the new events"
bare_ms=0
for f in $(seq 1 "$files"); do
    start=$(date +%s%N)
    # The CSV files hold each new event once (no re-sends: a bare copy would
    # fail on them).
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL >&2
\\copy bare_events (event_id, customer_id, model, occurred_at, input_tokens, cached_input_tokens, output_tokens, site_id, tag) FROM '$work/new-$f.csv' WITH (FORMAT csv, HEADER)
SQL
    bare_ms=$(( bare_ms + ($(date +%s%N) - start) / 1000000 ))
done
say "baseline: $bare_ms ms"
psql "$DATABASE_URL" -q -c "DROP TABLE bare_events" >&2
checkpoint
rm -f "$work"/new-*.csv

say "prefilling the partition with $prefill events and their rollups"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "$(prefill_sql usage_events)" >&2
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL >&2
INSERT INTO usage_hourly (customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events)
SELECT customer_id, date_trunc('hour', occurred_at), model, site_id, tag, billing_month,
       sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), count(*)
FROM usage_events GROUP BY 1, 2, 3, 4, 5, 6;
VACUUM ANALYZE usage_events, usage_hourly;
SQL
checkpoint

say "tally usage ingest of $files files"
rss_log=$work/rss.txt
: >"$rss_log"
tally_ms=0
file_ms=()
for f in $(seq 1 "$files"); do
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -a -o "$rss_log" "$tally" usage ingest "$work/new-$f.ndjson" --rejects "$work/rejects-$f.ndjson" >"$work/ingest-$f.out"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    file_ms+=("$ms")
    tally_ms=$(( tally_ms + ms ))
    say "file $f: $ms ms: $(cat "$work/ingest-$f.out")"
done
rss_mb=$(( $(sort -n "$rss_log" | tail -1) / 1024 ))
stored=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM usage_events")

# Bytes on disk per stored event and per rollup row (table, indexes, TOAST).
sizes=$(psql "$DATABASE_URL" -Atc "SELECT pg_total_relation_size('usage_events_2026_11') / count(*) FROM usage_events_2026_11" \
    -c "SELECT pg_total_relation_size('usage_hourly') / count(*) FROM usage_hourly")

say "invoice run for $customers customers"
bare_group() {
    psql "$DATABASE_URL" -qAt -c "SELECT customer_id, model, sum(input_tokens), sum(cached_input_tokens), sum(output_tokens)
        FROM usage_hourly WHERE billing_month = '2026-11-01' GROUP BY customer_id, model" >/dev/null
}
rollups=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM usage_hourly")
read -r group_median group_min run_median run_min < <(RUNS=$runs measure_pair bare_group "$tally" invoice run --period 2026-11)

first=${file_ms[0]}
last=${file_ms[$(( files - 1 ))]}
echo "new events: $events in $files files ($lines lines with the re-sends); partition held $prefill before; $stored stored after"
echo "psql \\copy into a bare keyed table holding $prefill: ${bare_ms} ms, $(( events * 1000 / bare_ms )) rows/s"
echo "tally usage ingest (chunked, 1 % re-sent):   ${tally_ms} ms, $(( lines * 1000 / tally_ms )) lines/s, $(( events * 1000 / tally_ms )) new events/s"
echo "ratio (tally new events/s / bare rows/s):    $(awk "BEGIN { printf \"%.2f\", $bare_ms / $tally_ms }")  (targets: >= 150,000 events/s and >= 0.75)"
echo "per file (ms): ${file_ms[*]}; last file / first file rate: $(awk "BEGIN { printf \"%.2f\", $first / $last }")  (target: within 20 %)"
echo "tally peak RSS: ${rss_mb} MB (target <= 1024)"
echo "bytes on disk (table + indexes) per stored event: $(sed -n 1p <<<"$sizes"); per rollup row: $(sed -n 2p <<<"$sizes")"
echo "invoice run, $customers customers, $rollups rollup rows: bare GROUP BY median ${group_median} ms (min ${group_min}); run median ${run_median} ms (min ${run_min}); ratio $(awk "BEGIN { printf \"%.2f\", $run_median / $group_median }") (target <= 3)"
