#!/usr/bin/env bash
# Part 60: bad inputs (badinputs.py, stdlib Python). Usage NDJSON and CSV,
# supply CSV, customer CSV, rate-card YAML, quote volume strings and command
# lines: malformed, truncated, NUL bytes, control characters, invalid UTF-8,
# numbers beyond Int64, exponents, wrong zones, very long ids, SQL-like text.
# Each must be refused with a located reason (or, for the odd-but-good lines
# mixed in, accepted and stored); crashes, hangs, wrong acceptances and
# unlocated refusals are counted and must all be 0.
source "$(dirname "$0")/lib.sh"
count=$(size 1000 10000)
url=$(setup_db rel60 5)
DATABASE_URL=$url "$tally" supply generate --month "$P" --sites 2 --gpu-types 2 --out "$work/supply" >/dev/null 2>&1
(cd "$work/supply" && DATABASE_URL=$url "$tally" supply import ./*.csv >/dev/null) || check 1 "supply import"
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null || check 1 "market import"
before=$(q "$url" "SELECT (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM fx_rates) || ' fx rates, '
                   || (SELECT count(*) FROM reserved_contracts) || ' contracts, ' || (SELECT count(*) FROM rate_cards) || ' cards'")
DATABASE_URL=$url python3 "$repo/scripts/reliability/badinputs.py" --tally "$tally" --work "$work/inputs" --count "$count" \
    --seed "$RELIAB_SEED" --month "$P" --now "$(date -u -d "@$now_epoch" +%F)" >"$work/report" 2>&1
rc=$?
grep -v '^figure ' "$work/report" | head -40
while read -r _ name value; do figure "$name" "$value"; done < <(grep '^figure ' "$work/report")
check $rc "every bad input refused with a located reason, every good one accepted (no crash, hang or wrong acceptance)"
after=$(q "$url" "SELECT (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM fx_rates) || ' fx rates, '
                  || (SELECT count(*) FROM reserved_contracts) || ' contracts, ' || (SELECT count(*) FROM rate_cards) || ' cards'")
[ "$before" = "$after" ]; check $? "refused files wrote nothing ($after)"
finish
