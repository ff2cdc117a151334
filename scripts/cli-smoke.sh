#!/usr/bin/env bash
# End-to-end checks of the `tally` executable against $DATABASE_URL, each in a
# fresh database: migrate twice, migrate concurrently, refuse an edited file.
set -uo pipefail  # no -e: each check records its own result
tally=$(realpath "${1:-.build/debug/tally}")
base_url=${DATABASE_URL:?DATABASE_URL must be set}
passed=0
failed=0
check() { # name, condition-status
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
fresh_db() { # prints a DATABASE_URL for a new, empty database
    local name="smoke_$RANDOM$RANDOM"
    psql "$base_url" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null || exit 1
    echo "$base_url" | sed -E "s/dbname=[^ ]+/dbname=$name/"
}

url=$(fresh_db)
first=$(DATABASE_URL=$url "$tally" migrate)
second=$(DATABASE_URL=$url "$tally" migrate)
grep -q "applied 0001_init.sql" <<<"$first"; check "first migrate applies 0001_init.sql" $?
grep -q "Nothing to apply" <<<"$second"; check "second migrate applies nothing" $?
status=$(DATABASE_URL=$url "$tally" migrate --status)
grep -qE "^0001_init.sql +applied" <<<"$status" && grep -qE "^0002_supply.sql +applied" <<<"$status"; check "migrate --status lists applied files" $?

url=$(fresh_db)
DATABASE_URL=$url "$tally" migrate >/tmp/tally-smoke-a.$$ 2>&1 & a=$!
DATABASE_URL=$url "$tally" migrate >/tmp/tally-smoke-b.$$ 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
[ $ra -eq 0 ] && [ $rb -eq 0 ]; check "two concurrent migrate runs both succeed" $?
[ "$(cat /tmp/tally-smoke-a.$$ /tmp/tally-smoke-b.$$ | grep -c 'applied 0001_init.sql')" -eq 1 ]; check "and apply each file once" $?
rm -f /tmp/tally-smoke-a.$$ /tmp/tally-smoke-b.$$

edited=$(mktemp -d)
cp migrations/*.sql "$edited/"
echo "-- edited after it was applied" >>"$edited/0001_init.sql"

out=$(DATABASE_URL=$url TALLY_MIGRATIONS=$edited "$tally" migrate 2>&1); rc=$?

[ $rc -ne 0 ] && grep -q "0001_init.sql was changed" <<<"$out"; check "an edited applied migration is refused by name" $?
rm -rf "$edited"

# Supply import and cost reports, end to end through the executable.
url=$(fresh_db)
data=$(mktemp -d)
"$tally" supply generate --month 2026-11 --sites 3 --gpu-types 2 --out "$data" >/dev/null
(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null); check "supply import of generated files" $?
again=$(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv)
! grep -qE "[1-9][0-9]* (new|changed)" <<<"$again"; check "re-import changes nothing" $?
for by in model pool site country gpu day; do
    json=$(DATABASE_URL=$url "$tally" cost --from 2026-11-01 --to 2026-12-01 --by $by --format json)
    grep -q '"usedPlusIdleReconciles" : true' <<<"$json" && grep -q '"fullyLoadedPlusStrandedReconciles" : true' <<<"$json"
    check "cost --by $by reconciles (json)" $?
done
DATABASE_URL=$url "$tally" cost --from 2026-11-01 --to 2026-11-02 --by pool --format csv | head -1 | grep -q "^pool,capacity GPU-h,used GPU-h"
check "cost --format csv has a header row" $?
printf 'id,memory_gb\nX,-1\n' >"$data/bad.csv"
out=$(DATABASE_URL=$url "$tally" supply import "$data/bad.csv" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "bad.csv:2: memory_gb '-1'" <<<"$out"; check "a bad row exits non-zero, naming file:line, column and value" $?
rm -rf "$data"

# Rate cards, customers, usage and rating through the executable.
url=$(fresh_db)
repo=$(cd "$(dirname "$0")/.." && pwd)
DATABASE_URL=$url "$tally" rates check "$repo/rates" >/dev/null; check "rates check passes on the shipped cards" $?
bad=$(mktemp -d)
printf 'card: x\ncurrency: EURO\nversions: []\n' >"$bad/x.yaml"
out=$("$tally" rates check "$bad" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "x.yaml:2: currency 'EURO'" <<<"$out"; check "rates check names file:line of a bad card and exits non-zero" $?
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null && \
    DATABASE_URL=$url "$tally" rates load "$repo/rates" | grep -q "0 version(s) added, 0 changed"; check "rates load twice changes nothing" $?
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
check "customers add" $?
printf '%s\n' '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"2026-11-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"2026-11-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"2","customer":"acme","model":"llama-3.3-70b-instruct","output_tokens":-1}' >"$bad/events.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$bad/events.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 3 ] && grep -q "1 accepted (0 late), 1 duplicate, 1 rejected" <<<"$out"; check "usage ingest: accepted, duplicate, rejected, exit 3" $?
grep -q '"line":3' "$bad/events.ndjson.rejects.ndjson"; check "the rejects file names the line" $?
# 2M input at 0.38 = 0.76; 1M output at 0.70 (band 1) = 0.70.
DATABASE_URL=$url "$tally" rate --customer acme --period 2026-11 | grep -qE "^SUBTOTAL +1\.46$"; check "rate prices the month (1.46 USD)" $?
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null && \
    DATABASE_URL=$url "$tally" market show llama-3.3-70b-instruct | grep -q "across"; check "market import and show" $?

# Invoices: run, finalize, show in every format, export, credits, void, credit note, mark paid.
DATABASE_URL=$url "$tally" customers add --id berlin --name "Berlin <GmbH> & Co" --email r@berlin.de --country DE --currency USD >/dev/null
printf '%s\n' '{"id":"b1","customer":"berlin","model":"llama-3.3-70b-instruct","timestamp":"2026-11-04T10:00:00Z","input_tokens":5000000,"output_tokens":100000,"site":"s","tag":"key-1"}' >"$bad/berlin.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$bad/berlin.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" credits grant --customer acme --amount 1.00 USD --expires 2027-03-31 --reason "welcome" >/dev/null; check "credits grant" $?
out=$(DATABASE_URL=$url "$tally" invoice run --period 2026-11); rc=$?
[ $rc -eq 0 ] && grep -q "2 customer(s), 2 draft(s)" <<<"$out"; check "invoice run writes drafts" $?
again=$(DATABASE_URL=$url "$tally" invoice show acme/2026-11 --format json)
DATABASE_URL=$url "$tally" invoice run --period 2026-11 >/dev/null
[ "$again" = "$(DATABASE_URL=$url "$tally" invoice show acme/2026-11 --format json)" ]; check "invoice run again gives identical drafts" $?
html=$(DATABASE_URL=$url "$tally" invoice show acme/2026-11 --format html); grep -q "DRAFT" <<<"$html"; check "a draft's HTML says DRAFT" $?
out=$(DATABASE_URL=$url "$tally" invoice finalize --period 2026-11 --date 2026-12-01); rc=$?
[ $rc -eq 0 ] && grep -q "2 invoice(s) finalized: INV-2026-000001 … INV-2026-000002" <<<"$out"; check "invoice finalize numbers in customer order" $?
DATABASE_URL=$url "$tally" invoice show INV-2026-000001 --format text | grep -q "1.46"; check "invoice show text (acme subtotal 1.46)" $?
DATABASE_URL=$url "$tally" invoice show INV-2026-000001 --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["total"]=="0.46" and d["credits_total"]=="1.00" else 1)'
check "invoice JSON: credits applied before tax, amounts as exact strings" $?
html=$(DATABASE_URL=$url "$tally" invoice show INV-2026-000002 --format html); grep -q "Berlin &lt;GmbH&gt; &amp; Co" <<<"$html"; check "invoice HTML escapes names" $?
DATABASE_URL=$url "$tally" invoice credit-note INV-2026-000002 --lines 1=0.10 --reason "goodwill" --date 2026-12-02 | grep -q "CN-2026-000001"
check "invoice credit-note" $?
DATABASE_URL=$url "$tally" invoice void INV-2026-000001 --reason "test" --date 2026-12-03 | grep -q "CN-2026-000002"; check "invoice void issues a credit note" $?
DATABASE_URL=$url "$tally" invoice mark-paid INV-2026-000002 --date 2026-12-10 >/dev/null; check "invoice mark-paid" $?
out=$(DATABASE_URL=$url "$tally" invoice mark-paid INV-2026-000001 --date 2026-12-10 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "void" <<<"$out"; check "a void invoice cannot be marked paid" $?
DATABASE_URL=$url "$tally" invoice export --period 2026-11 --format cii --out "$bad/cii" >/dev/null && \
    "$repo/scripts/validate-cii.py" "$bad"/cii/*.xml >/dev/null; check "exported CII invoices and credit notes validate (XSD + EN 16931 schematron)" $?
DATABASE_URL=$url "$tally" invoice export --period 2026-11 --format csv --out "$bad/csv" >/dev/null && \
    grep -q "INV-2026-000002" "$bad/csv/invoices-2026-11.csv"; check "invoice export csv" $?
DATABASE_URL=$url "$tally" invoice check | grep -q "0 mismatch"; check "invoice check recomputes every invoice" $?
DATABASE_URL=$url "$tally" credits show acme --as-of 2026-12-31 | grep -q "welcome"; check "credits show lists the ledger" $?
out=$(psql "$url" -qAt -c "UPDATE invoices SET total = 0 WHERE number = 'INV-2026-000002'" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "cannot be changed" <<<"$out"; check "the database refuses to edit an issued invoice" $?
rm -rf "$bad"

# Quotes: create, show, list, accept into a card file, fail below the floor.
url=$(fresh_db)
q=$(mktemp -d)
"$tally" supply generate --month 2026-11 --sites 3 --gpu-types 2 --out "$q/supply" >/dev/null
(cd "$q/supply" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null)
cp -r "$repo/rates" "$q/rates"
DATABASE_URL=$url "$tally" rates load "$q/rates" >/dev/null
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
out=$(DATABASE_URL=$url "$tally" quote --prospect "Globex" --volume llama-3.3-70b-instruct:input=2e9,cached=1e8,output=5e8 \
    --discount 10% --as-of 2026-11-29 --format json); rc=$?
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["quote"]["id"])' <<<"$out" 2>/dev/null)
[ $rc -eq 0 ] && [ "$id" = "Q-2026-000001" ]; check "quote create stores Q-2026-000001 (json)" $?
out=$(DATABASE_URL=$url "$tally" quote show "$id")
grep -q "cost basis: fully loaded blended cost per token, 2026-10-30 – 2026-11-28 (30 days)" <<<"$out" && grep -qE "^llama-3.3-70b-instruct +input +2,000,000,000 +684.00" <<<"$out"
check "quote show: cost basis and the discounted input (2e9 x 0.342 = 684.00)" $?
out=$(DATABASE_URL=$url "$tally" quote list --status open); grep -q "^$id .*open" <<<"$out"; check "quote list --status open" $?
out=$(DATABASE_URL=$url "$tally" quote accept "$id" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q -- "--customer" <<<"$out"; check "accepting a prospect's quote needs --customer" $?
DATABASE_URL=$url "$tally" customers add --id globex --name "Globex Corp" --email ap@globex.com --country US --currency USD >/dev/null
out=$(DATABASE_URL=$url "$tally" quote accept "$id" --customer globex --effective 2026-12-01 --rates "$q/rates"); rc=$?
[ $rc -eq 0 ] && grep -q "wrote $q/rates/custom/globex.yaml" <<<"$out" && "$tally" rates check "$q/rates" | grep -q "ok  globex"
check "quote accept writes rates/custom/globex.yaml, which rates check accepts" $?
out=$(DATABASE_URL=$url "$tally" customers list); grep -E "^globex " <<<"$out" | grep -q " globex"; check "the customer is on the new card" $?
out=$(DATABASE_URL=$url "$tally" rates show globex --at 2026-12-01); grep -qE "^llama-3.3-70b-instruct +0.342 " <<<"$out"; check "the card is loaded with the quote's prices" $?
out=$(DATABASE_URL=$url "$tally" quote show "$id" --format json)
python3 -c 'import json,sys; a=json.load(sys.stdin)["acceptance"]; assert a["customer"]=="globex" and a["card"]=="globex" and a["file"].endswith("custom/globex.yaml")' <<<"$out"
check "quote show --format json carries the acceptance" $?
out=$(DATABASE_URL=$url "$tally" quote accept "$id" --customer globex --rates "$q/rates" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "already accepted" <<<"$out"; check "a quote is accepted once" $?
DATABASE_URL=$url "$tally" quote --prospect "Initech" --volume llama-3.3-70b-instruct:input=1e9 --floor 99% --fail-below-floor --as-of 2026-11-29 >/dev/null 2>&1
[ $? -eq 3 ] && [ "$(DATABASE_URL=$url "$tally" quote list | grep -c Initech)" -eq 0 ]; check "--fail-below-floor exits 3 and stores nothing" $?
out=$(DATABASE_URL=$url "$tally" quote --prospect X --volume llama-3.3-70b-instruct:input=2.5 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "not a whole number of tokens" <<<"$out"; check "a bad volume is refused with the reason" $?
rm -rf "$q"

# The demo, end to end at a small scale, in its own database; then again (a rerun changes nothing).
url=$(fresh_db)
demo=$(mktemp -d)
out=$(cd "$repo" && DATABASE_URL=$url "$tally" demo --sites 3 --customers 12 --events 5000 --out "$demo" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "finalized 12: INV-2026-000001" <<<"$out"; check "demo (small scale) runs end to end and finalizes every invoice" $?
grep -q "every total recomputed from its lines: ok" <<<"$out"; check "demo invoices recompute from their lines" $?
grep -q "Quote Q-2026-000001 for prospect Globex Research (demo)" <<<"$out" && grep -q "cost basis: fully loaded blended cost per token, 2026-11-01 – 2026-11-30" <<<"$out"
check "demo prints a sample quote costed on the demo month" $?
grep -q "subtotals before credits: 12 invoice(s) of 12 customer(s): .*: reconciles" <<<"$out" && \
    grep -q "= fully loaded .* + stranded .*: reconciles" <<<"$out" && [ -s "$demo/margin-by-model.svg" ]
check "demo margin reports reconcile with the invoices and the purchase cost" $?
"$repo/scripts/validate-cii.py" "$demo"/invoices/*.xml >/dev/null; check "demo CII invoices validate (XSD + EN 16931 schematron)" $?
out=$(cd "$repo" && DATABASE_URL=$url "$tally" demo --sites 3 --customers 12 --events 5000 --out "$demo" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "0 accepted" <<<"$out" && grep -q "12 issued invoice(s) left as they are" <<<"$out"; check "demo rerun changes nothing" $?
rm -rf "$demo"
# Margin reports: generated supply, usage at a generated site, one invoice, one customer left uninvoiced.
url=$(fresh_db)
data=$(mktemp -d)
"$tally" supply generate --month 2026-11 --sites 3 --gpu-types 2 --out "$data" >/dev/null
(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
site=$(psql "$url" -qAt -c "SELECT id FROM sites ORDER BY id LIMIT 1")
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" customers add --id zeta --name "Zeta" --email billing@zeta.ai --country US --currency USD >/dev/null
printf '%s\n' "{\"id\":\"m1\",\"customer\":\"acme\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"2026-11-03T10:00:00Z\",\"input_tokens\":2000000,\"output_tokens\":1000000,\"site\":\"$site\"}" \
    "{\"id\":\"m2\",\"customer\":\"zeta\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"2026-11-04T10:00:00Z\",\"input_tokens\":1000000,\"site\":\"$site\"}" >"$data/usage.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$data/usage.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" invoice run --period 2026-11 --customer acme >/dev/null
out=$(DATABASE_URL=$url "$tally" margin --period 2026-11 --by model); rc=$?
[ $rc -eq 0 ] && grep -q "= subtotals before credits: 1 invoice(s) (1 draft(s)) of 1 customer(s)" <<<"$out" && grep -q "1 draft invoice(s) counted as they stand" <<<"$out" && grep -q "1 customer(s) rated, not invoiced" <<<"$out" \
    && grep -q "fully loaded .* + stranded .*: reconciles" <<<"$out"; check "margin --by model reconciles: invoice subtotals plus the rated customer" $?
DATABASE_URL=$url "$tally" margin --period 2026-11 --by customer | grep -qE "^zeta .* rated$"; check "margin --by customer labels the uninvoiced customer 'rated'" $?
DATABASE_URL=$url "$tally" margin --period 2026-11 --by site --format csv | head -1 | grep -q "^site,input tokens,cached tokens,output tokens,revenue,used cost"
check "margin --format csv has a header row" $?
DATABASE_URL=$url "$tally" margin --period 2026-11 --by day --format json | python3 -c '
import json, sys
from decimal import Decimal
d = json.load(sys.stdin)
ok = all(d["reconciliation"].values()) and sum(Decimal(r["revenue"]) for r in d["rows"]) == Decimal(d["totals"]["revenue"]) \
    and sum(Decimal(r["fullyLoadedCost"]) for r in d["rows"]) == Decimal(d["totals"]["fullyLoadedCost"]) \
    and Decimal(d["totals"]["fullyLoadedCost"]) + Decimal(d["totals"]["strandedCost"]) == Decimal(d["totals"]["purchaseCost"])
sys.exit(0 if ok else 1)'
check "margin --format json: rows add up to the totals, exact strings" $?
DATABASE_URL=$url "$tally" margin --period 2026-11 --by customer --chart "$data/margin.svg" >/dev/null && \
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$data/margin.svg"; check "margin --chart writes a well-formed SVG" $?
out=$(DATABASE_URL=$url "$tally" margin --period 2026-13 2>&1); rc=$?
[ $rc -ne 0 ]; check "margin with a bad period exits non-zero" $?
rm -rf "$data"

echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
