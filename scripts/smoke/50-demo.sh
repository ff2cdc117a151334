# The demo, end to end at a small scale, in its own database; then again (a rerun changes nothing).
url=$(fresh_db)
demo=$(mktemp -d)
out=$(cd "$repo" && DATABASE_URL=$url "$tally" demo --sites 3 --customers 12 --events 5000 --out "$demo" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "finalized 12: INV-$Y-000001" <<<"$out"; check "demo (small scale) runs end to end and finalizes every invoice" $?
grep -q "every total recomputed from its lines: ok" <<<"$out"; check "demo invoices recompute from their lines" $?
grep -q "Quote Q-$Y-000001 for prospect Globex Research (demo)" <<<"$out" && grep -q "cost basis: fully loaded blended cost per token, $QA – $QB" <<<"$out"
check "demo prints a sample quote costed on the demo month" $?
grep -q "subtotals before credits: 12 invoice(s) of 12 customer(s): .*: reconciles" <<<"$out" && \
    grep -q "= fully loaded .* + stranded .*: reconciles" <<<"$out" && [ -s "$demo/margin-by-model.svg" ]
check "demo margin reports reconcile with the invoices and the purchase cost" $?
"$repo/scripts/validate-cii.py" "$demo"/invoices/*.xml >/dev/null; check "demo CII invoices validate (XSD + EN 16931 schematron)" $?
out=$(cd "$repo" && DATABASE_URL=$url "$tally" demo --sites 3 --customers 12 --events 5000 --out "$demo" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "0 accepted" <<<"$out" && grep -q "12 issued invoice(s) left as they are" <<<"$out"; check "demo rerun changes nothing" $?
rm -rf "$demo"
