# Issue 13, "GPU-hours exact", the cost half: QA's 401 short spot buys in month
# $P, each in its own hour (400 of 4 s, one of 2 s): 1,602 GPU-seconds at 1.00
# cost exactly 0.445 USD, shown as 0.445 in JSON and printed 0.45 (half away
# from zero), never 0.444999999999999956 and 0.44.
url=$(fresh_db)
data=$(mktemp -d)
printf 'id,provider,country,currency\ns-c,Acme,US,USD\n' >"$data/sites.csv"
printf 'id,memory_gb,description\nL40S,48,\n' >"$data/gpu_types.csv"
printf 'day,currency,rate\n%s-01,USD,1\n' "$P" >"$data/fx_rates.csv"
{
    echo "id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at"
    first=$(date -u -d "$P-01T00:00:00Z" +%s)
    for i in $(seq 0 400); do
        s=$((first + i * 3600))
        echo "sp$i,spot,s-c,L40S,1,$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%SZ),$(date -u -d "@$((s + 3600))" +%Y-%m-%dT%H:%M:%SZ),1.00,$(date -u -d "@$((s + (i == 400 ? 2 : 4)))" +%Y-%m-%dT%H:%M:%SZ)"
    done
} >"$data/capacity_purchases.csv"
(cd "$data" && DATABASE_URL=$url "$tally" supply import sites.csv gpu_types.csv fx_rates.csv capacity_purchases.csv >/dev/null)
check "cost exact: QA's 401 partial-hour spot buys import" $?
json=$(DATABASE_URL=$url "$tally" cost --from $P-01 --to $C-01 --by pool --format json)
for field in capacityGPUHours purchaseCost idleCost strandedCost; do
    [ "$(grep -c "\"$field\" *: *\"0.445\"" <<<"$json")" -ge 1 ] && ! grep -q "\"$field\" *: *\"0.44499" <<<"$json"
    check "cost exact: $field of 1,602 GPU-seconds at 1.00 is exactly 0.445 in JSON" $?
done
csv=$(DATABASE_URL=$url "$tally" cost --from $P-01 --to $C-01 --by pool --format csv)
grep -qx "s-c/L40S,0.45,0.00,100.0%,100.0%,0.45,1.000000,0.00,0.45,0.00,0.45" <<<"$csv"
check "cost exact: purchase, idle and stranded cost print 0.45 (half away from zero), not 0.44" $?
table=$(DATABASE_URL=$url "$tally" cost --from $P-01 --to $C-01 --by pool)
grep -q "purchase cost 0.45" <<<"$table" && ! grep -q "0\.44\b" <<<"$table"
check "cost exact: the table's reconciliation prints purchase cost 0.45" $?
rm -rf "$data"
