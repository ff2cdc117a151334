# Rate cards, customers, usage and rating through the executable.
url=$(fresh_db)
DATABASE_URL=$url "$tally" rates check "$repo/rates" >/dev/null; check "rates check passes on the shipped cards" $?
bad=$(mktemp -d)
printf 'card: x\ncurrency: EURO\nversions: []\n' >"$bad/x.yaml"
out=$("$tally" rates check "$bad" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "x.yaml:2: currency 'EURO'" <<<"$out"; check "rates check names file:line of a bad card and exits non-zero" $?
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null && \
    DATABASE_URL=$url "$tally" rates load "$repo/rates" | grep -q "0 version(s) added, 0 changed"; check "rates load twice changes nothing" $?
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
check "customers add" $?
printf '%s\n' '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"2","customer":"acme","model":"llama-3.3-70b-instruct","output_tokens":-1}' >"$bad/events.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$bad/events.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 3 ] && grep -q "1 accepted (0 late), 1 duplicate, 1 rejected" <<<"$out"; check "usage ingest: accepted, duplicate, rejected, exit 3" $?
grep -q '"line":3' "$bad/events.ndjson.rejects.ndjson"; check "the rejects file names the line" $?
# 2M input at 0.38 = 0.76; 1M output at 0.70 (band 1) = 0.70.
DATABASE_URL=$url "$tally" rate --customer acme --period $P | grep -qE "^SUBTOTAL +1\.46$"; check "rate prices the month (1.46 USD)" $?
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null && \
    DATABASE_URL=$url "$tally" market show llama-3.3-70b-instruct | grep -q "across"; check "market import and show" $?
# Invoices: run, finalize, show in every format, export, credits, void, credit note, mark paid.
DATABASE_URL=$url "$tally" customers add --id berlin --name "Berlin <GmbH> & Co" --email r@berlin.de --country DE --currency USD >/dev/null
printf '%s\n' '{"id":"b1","customer":"berlin","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-04T10:00:00Z","input_tokens":5000000,"output_tokens":100000,"site":"s","tag":"key-1"}' >"$bad/berlin.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$bad/berlin.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" credits grant --customer acme --amount 1.00 USD --expires $EXPIRES --reason "welcome" --date $P_LAST >/dev/null; check "credits grant" $?
out=$(DATABASE_URL=$url "$tally" invoice run --period $P); rc=$?
[ $rc -eq 0 ] && grep -q "2 customer(s), 2 draft(s)" <<<"$out"; check "invoice run writes drafts" $?
again=$(DATABASE_URL=$url "$tally" invoice show acme/$P --format json)
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
[ "$again" = "$(DATABASE_URL=$url "$tally" invoice show acme/$P --format json)" ]; check "invoice run again gives identical drafts" $?
html=$(DATABASE_URL=$url "$tally" invoice show acme/$P --format html); grep -q "DRAFT" <<<"$html"; check "a draft's HTML says DRAFT" $?
out=$(DATABASE_URL=$url "$tally" invoice finalize --period $P --date $P_LAST 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "before the end of $P" <<<"$out" && [ "$(psql "$url" -qAt -c "SELECT count(*) FROM invoices WHERE number IS NOT NULL")" = 0 ]
check "finalize dated inside its period ($P_LAST) is refused, nothing numbered" $?
out=$(DATABASE_URL=$url "$tally" invoice finalize --period $P); rc=$?
[ $rc -eq 0 ] && grep -q "2 invoice(s) finalized: INV-$Y-000001 … INV-$Y-000002" <<<"$out"; check "invoice finalize numbers in customer order" $?
DATABASE_URL=$url "$tally" invoice show INV-$Y-000001 --format text | grep -q "1.46"; check "invoice show text (acme subtotal 1.46)" $?
DATABASE_URL=$url "$tally" invoice show INV-$Y-000001 --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["total"]=="0.46" and d["credits_total"]=="1.00" else 1)'
check "invoice JSON: credits applied before tax, amounts as exact strings" $?
html=$(DATABASE_URL=$url "$tally" invoice show INV-$Y-000002 --format html); grep -q "Berlin &lt;GmbH&gt; &amp; Co" <<<"$html"; check "invoice HTML escapes names" $?
DATABASE_URL=$url "$tally" invoice credit-note INV-$Y-000002 --lines 1=0.10 --reason "goodwill" | grep -q "CN-$Y-000001"
check "invoice credit-note" $?
DATABASE_URL=$url "$tally" invoice void INV-$Y-000001 --reason "test" | grep -q "CN-$Y-000002"; check "invoice void issues a credit note" $?
out=$(DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000002 --date $TOMORROW 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "after today ($TODAY)" <<<"$out"; check "a payment dated tomorrow is refused" $?
DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000002 | grep -q "paid on $TODAY"; check "invoice mark-paid (default: today, $TODAY)" $?
out=$(DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000001 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "void" <<<"$out"; check "a void invoice cannot be marked paid" $?
DATABASE_URL=$url "$tally" invoice export --period $P --format cii --out "$bad/cii" >/dev/null && \
    "$repo/scripts/validate-cii.py" "$bad"/cii/*.xml >/dev/null; check "exported CII invoices and credit notes validate (XSD + EN 16931 schematron)" $?
DATABASE_URL=$url "$tally" invoice export --period $P --format csv --out "$bad/csv" >/dev/null && \
    grep -q "INV-$Y-000002" "$bad/csv/invoices-$P.csv"; check "invoice export csv" $?
DATABASE_URL=$url "$tally" invoice check | grep -q "0 mismatch"; check "invoice check recomputes every invoice" $?
DATABASE_URL=$url "$tally" credits show acme --as-of $TODAY | grep -q "welcome"; check "credits show lists the ledger" $?
out=$(psql "$url" -qAt -c "UPDATE invoices SET total = 0 WHERE number = 'INV-$Y-000002'" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "cannot be changed" <<<"$out"; check "the database refuses to edit an issued invoice" $?
rm -rf "$bad"
