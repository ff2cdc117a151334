#!/usr/bin/env bash
# Benchmark (issue 3): `tally cost --by model` over a generated month, 40 sites ×
# 6 GPU types, ~550,000 allocation rows, against the baseline measured in the same
# run: PostgreSQL's bare GROUP BY sum over the same allocation rows, through psql.
# Both are whole commands (process start, connect, query, output).
#   bench/cost.sh            # RUNS=7 by default
source "$(dirname "$0")/common.sh"

"$tally" supply generate --month 2026-11 --out "$work/data" >&2
(cd "$work/data" && "$tally" supply import sites.csv gpu_types.csv fx_rates.csv reserved_contracts.csv \
    capacity_purchases.csv allocations.csv) >&2
psql "$DATABASE_URL" -qc "VACUUM ANALYZE" >&2
rows=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM allocations")

bare="SELECT model, sum(gpus_used) FROM allocations WHERE hour >= '2026-11-01' AND hour < '2026-12-01' GROUP BY model"
read -r bare_median bare_min < <(measure psql "$DATABASE_URL" -qAt -c "$bare")
read -r cost_median cost_min < <(measure "$tally" cost --from 2026-11-01 --to 2026-12-01 --by model)
TALLY_TIMINGS=1 "$tally" cost --from 2026-11-01 --to 2026-12-01 --by model 2>"$work/timings" >/dev/null

echo "allocation rows: $rows"
echo "bare GROUP BY (psql):        median ${bare_median} ms, min ${bare_min} ms"
echo "tally cost --by model:       median ${cost_median} ms, min ${cost_min} ms"
echo "ratio (median):              $(awk "BEGIN { printf \"%.2f\", $cost_median / $bare_median }")x  (target: within 2x)"
echo "tally phases (one run):      $(tr '\n' ' ' < "$work/timings")"
