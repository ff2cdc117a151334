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
