# The audit log: CLI changes recorded as the OS user with role cli, read back
# with `tally audit` in every format; failed commands record nothing; the
# table refuses edits.
url=$(fresh_db)
a=$(mktemp -d)
me=$(id -un)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" customers add --id berlin --name "Berlin GmbH" --email r@berlin.de --country DE --currency USD >/dev/null
printf '%s\n' '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"2","customer":"berlin","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-04T10:00:00Z","input_tokens":5000000,"output_tokens":100000,"site":"s"}' >"$a/events.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$a/events.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" credits grant --customer acme --amount 1.00 USD --expires $EXPIRES --reason "welcome" --date $P_LAST >/dev/null
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice finalize --period $P --date $P_LAST >/dev/null 2>&1   # refused: dated inside its period
DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000001 >/dev/null
DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000001 >/dev/null 2>&1               # refused: already paid
DATABASE_URL=$url "$tally" invoice void INV-$Y-000002 --reason "wrong entity" >/dev/null
out=$(DATABASE_URL=$url "$tally" audit); rc=$?
actions=$(awk 'NR > 2 { print $5 }' <<<"$out" | paste -sd' ')
[ $rc -eq 0 ] && [ "$actions" = "rates.load customers.create customers.create credits.grant invoice.finalize invoice.payment invoice.void" ]
check "tally audit lists each CLI change once, oldest first; unchanged and refused commands record nothing" $?
head -1 <<<"$out" | grep -qE "^id +at +actor +role +action +target +details$" && awk 'NR > 2' <<<"$out" | awk -v me="$me" '$3 != me || $4 != "cli" { bad = 1 } END { exit bad }'
check "tally audit (text): columns, actor is the OS user ($me), role cli" $?
grep -qE "^ *5 +[^ ]+ +$me +cli +invoice.finalize +$P +\{\"issue_date\":\"$TODAY\",\"numbers\":\"INV-$Y-000001,INV-$Y-000002\"\}$" <<<"$out"
check "the finalize entry names the period, issue date and numbers" $?
csv=$(DATABASE_URL=$url "$tally" audit --format csv)
[ "$(head -1 <<<"$csv")" = "id,at,actor,role,action,target,details" ] && [ "$(wc -l <<<"$csv")" -eq 8 ] \
    && grep -q "^7,[^,]*,$me,cli,invoice.void,INV-$Y-000002,\"{\"\"credit_note\"\":\"\"CN-$Y-000001\"\",\"\"issue_date\"\":\"\"$TODAY\"\",\"\"reason\"\":\"\"wrong entity\"\"}\"$" <<<"$csv"
check "tally audit --format csv: header, one row per entry, details as JSON" $?
DATABASE_URL=$url "$tally" audit --format json | TODAY=$TODAY TOMORROW=$TOMORROW ME=$me python3 -c '
import json, os, sys
e = json.load(sys.stdin)
assert [x["id"] for x in e] == list(range(1, 8)), e
assert all(x["actor"] == os.environ["ME"] and x["role"] == "cli" for x in e)
assert all(x["at"][:10] in (os.environ["TODAY"], os.environ["TOMORROW"]) for x in e), "dated by the clock"
assert e[5]["action"] == "invoice.payment" and e[5]["details"] == {"paid_on": os.environ["TODAY"]}
assert e[3]["details"]["amount"] == "1.00" and e[3]["details"]["grant"] == "G-1" and e[3]["target"] == "acme"
'
check "tally audit --format json: ids, actor, role, dated by the clock, details as objects" $?
[ "$(DATABASE_URL=$url "$tally" audit --limit 2 --format csv | wc -l)" -eq 3 ]; check "tally audit --limit 2" $?
[ "$(DATABASE_URL=$url "$tally" audit --since $TOMORROW)" = "no audit entries" ] \
    && [ "$(DATABASE_URL=$url "$tally" audit --since $TOMORROW --format json | tr -d ' \n')" = "[]" ] \
    && [ "$(DATABASE_URL=$url "$tally" audit --since $TOMORROW --format csv)" = "id,at,actor,role,action,target,details" ]
check "tally audit --since tomorrow: nothing, in every format" $?
[ "$(DATABASE_URL=$url "$tally" audit --since $TODAY --format csv | wc -l)" -eq 8 ]; check "tally audit --since today: everything" $?
DATABASE_URL=$url "$tally" audit --since yesterday >/dev/null 2>&1; [ $? -eq 2 ]; check "tally audit --since with a bad date exits 2" $?
psql "$url" -qAt -c "DELETE FROM audit_log" >/dev/null 2>&1; d=$?
psql "$url" -qAt -c "UPDATE audit_log SET actor = 'x'" >/dev/null 2>&1; u=$?
psql "$url" -qAt -c "TRUNCATE audit_log" >/dev/null 2>&1; t=$?
[ $d -ne 0 ] && [ $u -ne 0 ] && [ $t -ne 0 ] && [ "$(psql "$url" -qAt -c "SELECT count(*) FROM audit_log")" = 7 ]
check "the audit log refuses DELETE, UPDATE and TRUNCATE" $?
rm -rf "$a"
