# Margin reports: generated supply, usage at a generated site, one invoice, one customer left uninvoiced.
url=$(fresh_db)
data=$(mktemp -d)
"$tally" supply generate --month $P --sites 3 --gpu-types 2 --out "$data" >/dev/null
(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
site=$(psql "$url" -qAt -c "SELECT id FROM sites ORDER BY id LIMIT 1")
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" customers add --id zeta --name "Zeta" --email billing@zeta.ai --country US --currency USD >/dev/null
printf '%s\n' "{\"id\":\"m1\",\"customer\":\"acme\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"$P-03T10:00:00Z\",\"input_tokens\":2000000,\"output_tokens\":1000000,\"site\":\"$site\"}" \
    "{\"id\":\"m2\",\"customer\":\"zeta\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"$P-04T10:00:00Z\",\"input_tokens\":1000000,\"site\":\"$site\"}" >"$data/usage.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$data/usage.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" invoice run --period $P --customer acme >/dev/null
out=$(DATABASE_URL=$url "$tally" margin --period $P --by model); rc=$?
[ $rc -eq 0 ] && grep -q "= subtotals before credits: 1 invoice(s) (1 draft(s)) of 1 customer(s)" <<<"$out" && grep -q "1 draft invoice(s) counted as they stand" <<<"$out" && grep -q "1 customer(s) rated, not invoiced" <<<"$out" \
    && grep -q "fully loaded .* + stranded .*: reconciles" <<<"$out"; check "margin --by model reconciles: invoice subtotals plus the rated customer" $?
DATABASE_URL=$url "$tally" margin --period $P --by customer | grep -qE "^zeta .* rated$"; check "margin --by customer labels the uninvoiced customer 'rated'" $?
DATABASE_URL=$url "$tally" margin --period $P --by site --format csv | head -1 | grep -q "^site,input tokens,cached tokens,output tokens,revenue,used cost"
check "margin --format csv has a header row" $?
DATABASE_URL=$url "$tally" margin --period $P --by day --format json | python3 -c '
import json, sys
from decimal import Decimal
d = json.load(sys.stdin)
ok = all(d["reconciliation"].values()) and sum(Decimal(r["revenue"]) for r in d["rows"]) == Decimal(d["totals"]["revenue"]) \
    and sum(Decimal(r["fullyLoadedCost"]) for r in d["rows"]) == Decimal(d["totals"]["fullyLoadedCost"]) \
    and Decimal(d["totals"]["fullyLoadedCost"]) + Decimal(d["totals"]["strandedCost"]) == Decimal(d["totals"]["purchaseCost"])
sys.exit(0 if ok else 1)'
check "margin --format json: rows add up to the totals, exact strings" $?
DATABASE_URL=$url "$tally" margin --period $P --by customer --chart "$data/margin.svg" >/dev/null && \
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$data/margin.svg"; check "margin --chart writes a well-formed SVG" $?
out=$(DATABASE_URL=$url "$tally" margin --period 2026-13 2>&1); rc=$?
[ $rc -ne 0 ]; check "margin with a bad period exits non-zero" $?
rm -rf "$data"
