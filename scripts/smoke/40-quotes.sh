# Quotes: create, show, list, accept into a card file, fail below the floor.
url=$(fresh_db)
q=$(mktemp -d)
"$tally" supply generate --month $P --sites 3 --gpu-types 2 --out "$q/supply" >/dev/null
(cd "$q/supply" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null)
cp -r "$repo/rates" "$q/rates"
DATABASE_URL=$url "$tally" rates load "$q/rates" >/dev/null
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
out=$(DATABASE_URL=$url "$tally" quote --prospect "Globex" --volume llama-3.3-70b-instruct:input=2e9,cached=1e8,output=5e8 \
    --discount 10% --as-of $C-01 --format json); rc=$?
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["quote"]["id"])' <<<"$out" 2>/dev/null)
[ $rc -eq 0 ] && [ "$id" = "Q-$Y-000001" ]; check "quote create stores Q-$Y-000001 (json)" $?
out=$(DATABASE_URL=$url "$tally" quote show "$id")
grep -q "cost basis: fully loaded blended cost per token, $QA – $QB (30 days)" <<<"$out" && grep -qE "^llama-3.3-70b-instruct +input +2,000,000,000 +684.00" <<<"$out"
check "quote show: cost basis and the discounted input (2e9 x 0.342 = 684.00)" $?
out=$(DATABASE_URL=$url "$tally" quote list --status open); grep -q "^$id .*open" <<<"$out"; check "quote list --status open" $?
out=$(DATABASE_URL=$url "$tally" quote accept "$id" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q -- "--customer" <<<"$out"; check "accepting a prospect's quote needs --customer" $?
DATABASE_URL=$url "$tally" customers add --id globex --name "Globex Corp" --email ap@globex.com --country US --currency USD >/dev/null
out=$(DATABASE_URL=$url "$tally" quote accept "$id" --customer globex --rates "$q/rates"); rc=$?
[ $rc -eq 0 ] && grep -q "wrote $q/rates/custom/globex.yaml" <<<"$out" && "$tally" rates check "$q/rates" | grep -q "ok  globex"
check "quote accept writes rates/custom/globex.yaml, which rates check accepts" $?
grep -q "customer globex is on card globex from $NEXT_HOUR" <<<"$out"; check "a quote accepted with no --effective starts at the clock's next whole hour ($NEXT_HOUR)" $?
out=$(DATABASE_URL=$url "$tally" customers list); grep -E "^globex " <<<"$out" | grep -q " globex"; check "the customer is on the new card" $?
out=$(DATABASE_URL=$url "$tally" rates show globex --at $NEXT_HOUR); grep -qE "^llama-3.3-70b-instruct +0.342 " <<<"$out"; check "the card is loaded with the quote's prices" $?
out=$(DATABASE_URL=$url "$tally" quote show "$id" --format json)
python3 -c 'import json,sys; a=json.load(sys.stdin)["acceptance"]; assert a["customer"]=="globex" and a["card"]=="globex" and a["file"].endswith("custom/globex.yaml")' <<<"$out"
check "quote show --format json carries the acceptance" $?
out=$(DATABASE_URL=$url "$tally" quote accept "$id" --customer globex --rates "$q/rates" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "already accepted" <<<"$out"; check "a quote is accepted once" $?
DATABASE_URL=$url "$tally" quote --prospect "Initech" --volume llama-3.3-70b-instruct:input=1e9 --floor 99% --fail-below-floor --as-of $C-01 >/dev/null 2>&1
[ $? -eq 3 ] && [ "$(DATABASE_URL=$url "$tally" quote list | grep -c Initech)" -eq 0 ]; check "--fail-below-floor exits 3 and stores nothing" $?
out=$(DATABASE_URL=$url "$tally" quote --prospect X --volume llama-3.3-70b-instruct:input=2.5 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "not a whole number of tokens" <<<"$out"; check "a bad volume is refused with the reason" $?
rm -rf "$q"
