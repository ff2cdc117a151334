# Issue 13 (money): what only the executable shows. Cost figures and errors of
# a pool with odd capacity, in month $P; every date computed from the clock.
url=$(fresh_db)
data=$(mktemp -d)
cat >"$data/sites.csv" <<CSV
id,provider,country,currency
us-east,Acme,US,USD
CSV
cat >"$data/gpu_types.csv" <<CSV
id,memory_gb,description
H100,80,
L40S,48,
CSV
# Three spot buys in one hour: 3 s + 3 s + 1,596 s = 1,602 GPU-seconds = exactly 0.445 GPU-h.
cat >"$data/spot.csv" <<CSV
id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at
s1,spot,us-east,H100,1,${P}-02T00:00:00Z,${P}-02T00:00:03Z,1.00,
s2,spot,us-east,H100,1,${P}-02T00:10:00Z,${P}-02T00:10:03Z,1.00,
s3,spot,us-east,H100,1,${P}-02T00:20:00Z,${P}-02T00:46:36Z,1.00,
CSV
(cd "$data" && DATABASE_URL=$url "$tally" supply import sites.csv gpu_types.csv spot.csv >/dev/null); check "money: supply with partial-hour spot buys imports" $?
out=$(DATABASE_URL=$url "$tally" cost --from $P-02 --to $P-03 --by pool --format csv)
grep -q "^us-east/H100,0.45," <<<"$out"; check "money: 1,602 GPU-seconds print as 0.45 GPU-h, not 0.44" $?
# L40S has no purchase at all: each allocated hour is named with its own figure.
cat >"$data/alloc.csv" <<CSV
hour,site_id,gpu_type_id,model,gpus_used
${P}-02T05:00:00Z,us-east,L40S,m1,2
${P}-02T07:00:00Z,us-east,L40S,m2,3
CSV
(cd "$data" && DATABASE_URL=$url "$tally" supply import alloc.csv >/dev/null); check "money: allocations in a pool with no purchase import" $?
out=$(DATABASE_URL=$url "$tally" cost --from $P-02 --to $P-03 --by pool 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "us-east/L40S at ${P}-02T05:00:00Z allocates 2 GPUs but has capacity 0" <<<"$out" \
    && grep -q "us-east/L40S at ${P}-02T07:00:00Z allocates 3 GPUs but has capacity 0" <<<"$out" \
    && ! grep -q "T00:00:00Z allocates" <<<"$out"
check "money: over-allocation in a pool with no purchase names each hour and exits non-zero" $?
rm -rf "$data"
# A grant serves only months that end after it was granted: one made today does not lower $P.
url=$(fresh_db)
data=$(mktemp -d)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null 2>&1
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email b@acme.ai --country US --currency USD >/dev/null
printf '%s\n' '{"id":"a1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-04T10:00:00Z","input_tokens":5000000,"output_tokens":100000,"site":"s","tag":""}' >"$data/a.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$data/a.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" credits grant --customer acme --amount 1.00 USD --expires $EXPIRES --reason "today" >/dev/null
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice show acme/$P --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["credits_total"]=="0.00" else 1)'
check "money: a grant made today does not serve last month's invoice" $?
ledger=$(DATABASE_URL=$url "$tally" credits show acme --format csv) && grep -q "^date," <<<"$ledger" && ! grep -q ",-" <<<"$ledger"
check "money: the credit ledger never shows a negative amount or balance" $?
rm -rf "$data"
