# What a QA pass of issues 13 and 14 found in the executable: reasons that say
# nothing, unknown names reported as empty reports, quote prices per 1M as the
# card states them, margin JSON amounts, folders without cards (docs/errors.md,
# docs/quotes.md, docs/margin.md).
url=$(fresh_db)
s=$(mktemp -d)
mkdir -p "$s/rates" "$s/empty"
cat >"$s/rates/stated-q.yaml" <<EOF
card: stated-q
currency: USD
versions:
  - effective_from: $P-01T00:00:00Z
    models:
      m-a:
        input: 55.5
        output: 150
EOF
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null  # and the tax rates
DATABASE_URL=$url "$tally" rates load "$s/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id us --name "US Inc" --email ap@us.example --country US --currency USD >/dev/null
printf '%s\n' "{\"id\":\"p1\",\"customer\":\"us\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"$P-03T10:00:00Z\",\"input_tokens\":50000000,\"site\":\"x\"}" >"$s/usage.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$s/usage.ndjson" >/dev/null 2>&1

# 1. A reason that says nothing is bad input with a sentence, not a database rule.
for reason in "" "   "; do
    out=$(DATABASE_URL=$url "$tally" credits grant --customer us --amount 1.00 USD --expires "$EXPIRES" --reason "$reason" 2>&1); rc=$?
    [ $rc -eq 2 ] && grep -qF "Error: --reason \"$reason\": a grant needs a reason" <<<"$out" && ! grep -q "database" <<<"$out"
    check "credits grant --reason '$reason': a sentence about the reason, exit 2" $?
done
[ "$(psql "$url" -qAt -c "SELECT count(*) FROM credit_grants")" = 0 ]; check "no grant written" $?
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null
inv=$(psql "$url" -qAt -c "SELECT number FROM invoices WHERE customer_id = 'us'")
out=$(DATABASE_URL=$url "$tally" invoice void "$inv" --reason "" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -qF 'a void needs a reason' <<<"$out" && ! grep -q "database" <<<"$out"
check "invoice void --reason '': a sentence, exit 2" $?
out=$(DATABASE_URL=$url "$tally" invoice credit-note "$inv" --lines 1 --reason "  " 2>&1); rc=$?
[ $rc -eq 2 ] && grep -qF 'a credit note needs a reason' <<<"$out" && ! grep -q "database" <<<"$out"
check "invoice credit-note --reason '  ': a sentence, exit 2" $?
[ "$(psql "$url" -qAt -c "SELECT count(*) FROM credit_notes")" = 0 ]; check "no credit note written" $?

# 2. A name that does not exist is an error (as rate --customer answers), never an empty report.
ref=$(DATABASE_URL=$url "$tally" rate --customer nosuch --period $P --format json 2>/dev/null); ref_rc=$?
ref_code=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])' <<<"$ref")
for c in "usage show --customer nosuch --period $P" "credits show nosuch" "market show no-such-model"; do
    # shellcheck disable=SC2086
    out=$(DATABASE_URL=$url "$tally" $c --format json 2>/dev/null); rc=$?
    [ $rc -eq "$ref_rc" ] && [ $rc -eq 2 ] && python3 -c '
import json, sys
e = json.loads(sys.argv[1])["error"]
assert e["code"] == sys.argv[2] and ("nosuch" in e["message"] or "no-such-model" in e["message"]), e' "$out" "$ref_code"
    check "$c --format json: the not-found error of rate (code $ref_code, exit 2) on stdout" $?
    # shellcheck disable=SC2086
    out=$(DATABASE_URL=$url "$tally" $c 2>&1 >/dev/null); rc=$?
    [ $rc -eq 2 ] && grep -q "^Error: no " <<<"$out"; check "$c: an error on stderr, exit 2" $?
done

# 3. Quote prices per 1M as the card states them: CSV as stated, the table padded for alignment only.
quote=$(DATABASE_URL=$url "$tally" quote --prospect Globex --card stated-q --volume m-a:input=2e9,output=5e8 --as-of $C-01 --format json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["quote"]["id"])')
out=$(DATABASE_URL=$url "$tally" quote show "$quote" --format csv)
grep -q "^m-a,input,2000000000,111000.00,55.5," <<<"$out" && grep -q "^m-a,output,500000000,75000.00,150," <<<"$out" \
    && grep -q "^m-a,all,2500000000,186000.00,74.4," <<<"$out"
check "quote show --format csv: per 1M as the card states it (55.5, 150; blended 74.4)" $?
out=$(DATABASE_URL=$url "$tally" quote show "$quote")
grep -qE "^m-a +input +2,000,000,000 +111,000.00 +55.50 " <<<"$out" && grep -qE "^m-a +output +500,000,000 +75,000.00 +150.00 " <<<"$out"
check "quote show (table): per 1M padded to one number of places (55.50, 150.00), as invoices' text" $?

# 4. Margin JSON: invoiced amounts with the currency's minor digits (50M input tokens at 0.38: 19.00).
out=$(DATABASE_URL=$url "$tally" margin --period $P --by customer --format json 2>&1)
python3 -c '
import json, sys
d = json.load(sys.stdin)
g = d["revenueByCurrency"][0]
amounts = [g["subtotal"], g["lines"], g["converted"], d["totals"]["revenue"], d["totals"]["invoicedRevenue"]] + [r["revenue"] for r in d["rows"]]
assert all("." in a and len(a.split(".")[1]) >= 2 for a in amounts), amounts
assert g["lines"] == g["subtotal"] == g["converted"] == d["totals"]["revenue"] == "19.00", g' <<<"$out"
check "margin --format json: revenue and subtotals with the currency's minor digits (\"19.00\", not \"19\")" $?

# 6. Folders: one without cards, one that does not exist.
for cmd in check load; do
    out=$(DATABASE_URL=$url TALLY_RATES="$s/empty" "$tally" rates $cmd 2>&1); rc=$?
    [ $rc -eq 2 ] && grep -qF "$s/empty: no rate card found in this folder" <<<"$out"
    check "TALLY_RATES=<empty folder> rates $cmd: says no card was found there, exit 2" $?
done
out=$(DATABASE_URL=$url "$tally" quote accept "$quote" --customer us --rates "$s/nonexistent" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -qF "the rates folder $s/nonexistent does not exist" <<<"$out" && ! grep -q "has no card" <<<"$out"
check "quote accept --rates <missing folder>: says the folder does not exist, exit 2" $?
rm -rf "$s"
