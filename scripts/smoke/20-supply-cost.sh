# Supply import and cost reports, end to end through the executable.
url=$(fresh_db)
data=$(mktemp -d)
"$tally" supply generate --month $P --sites 3 --gpu-types 2 --out "$data" >/dev/null
(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null); check "supply import of generated files" $?
again=$(cd "$data" && DATABASE_URL=$url "$tally" supply import *.csv)
! grep -qE "[1-9][0-9]* (new|changed)" <<<"$again"; check "re-import changes nothing" $?
for by in model pool site country gpu day; do
    json=$(DATABASE_URL=$url "$tally" cost --from $P-01 --to $C-01 --by $by --format json)
    grep -q '"usedPlusIdleReconciles" : true' <<<"$json" && grep -q '"fullyLoadedPlusStrandedReconciles" : true' <<<"$json"
    check "cost --by $by reconciles (json)" $?
done
DATABASE_URL=$url "$tally" cost --from $P-01 --to $P-02 --by pool --format csv | head -1 | grep -q "^pool,capacity GPU-h,used GPU-h"
check "cost --format csv has a header row" $?
printf 'id,memory_gb\nX,-1\n' >"$data/bad.csv"
out=$(DATABASE_URL=$url "$tally" supply import "$data/bad.csv" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "bad.csv:2: memory_gb '-1'" <<<"$out"; check "a bad row exits non-zero, naming file:line, column and value" $?
rm -rf "$data"
