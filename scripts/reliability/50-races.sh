#!/usr/bin/env bash
# Part 50: races between commands on the same data.
#  - two ingests of overlapping files (the same event ids) at once;
#  - ingest racing `invoice run` and `invoice finalize` of the same month:
#    usage that arrives after the finalize is late usage on next month's
#    invoice, never lost, never billed twice;
#  - two `rates load` of the same folder at once;
#  - concurrent acceptances of one quote (exactly one wins), and of quotes of
#    different customers (all win).
# A command that loses a race may exit 3 (refused) or 4 (busy: run it again),
# never 1 or a crash; re-run, the state must equal a run without the race.
source "$(dirname "$0")/lib.sh"
races=0
ok_status() { case $1 in 0 | 3 | 4) return 0 ;; *) return 1 ;; esac; }

# 1. Overlapping ingests.
raced=$(setup_db rel50_ingest 40)
clean=$(setup_db rel50_clean 40)
n=$(size 3000 300000)
DATABASE_URL=$clean "$tally" usage generate --month "$P" --events $((n * 3 / 2)) --duplicate-percent 0 --out "$work/all.ndjson" >/dev/null
head -n "$n" "$work/all.ndjson" >"$work/a.ndjson"
tail -n "$n" "$work/all.ndjson" >"$work/b.ndjson" # the middle third is in both
for round in $(seq "$(size 1 5)"); do
    db=$(fresh_db rel50_ingest_$round); DATABASE_URL=$db "$tally" rates load "$repo/rates" >/dev/null; add_customers "$db" 40
    DATABASE_URL=$db "$tally" usage ingest "$work/a.ndjson" --rejects "$work/ra" >"$work/oa" 2>&1 &
    pa=$!
    DATABASE_URL=$db "$tally" usage ingest "$work/b.ndjson" --rejects "$work/rb" >"$work/ob" 2>&1 &
    pb=$!
    wait $pa; ra=$?; wait $pb; rb=$?
    races=$((races + 1))
    ok_status $ra && ok_status $rb; check $? "overlapping ingests at once, round $round: exits $ra and $rb ($(grep -h -m1 "events\|Error" "$work/oa" "$work/ob" | tr '\n' ' ' | head -c 200))"
    # A loser (busy) runs again; the state must equal both files ingested one after the other.
    [ $ra -eq 0 ] || DATABASE_URL=$db "$tally" usage ingest "$work/a.ndjson" --rejects "$work/ra" >/dev/null 2>&1
    [ $rb -eq 0 ] || DATABASE_URL=$db "$tally" usage ingest "$work/b.ndjson" --rejects "$work/rb" >/dev/null 2>&1
    [ "$round" = 1 ] && { DATABASE_URL=$clean "$tally" usage ingest "$work/a.ndjson" --rejects "$work/rc" >/dev/null 2>&1
                          DATABASE_URL=$clean "$tally" usage ingest "$work/b.ndjson" --rejects "$work/rc" >/dev/null 2>&1
                          usage_fingerprint "$clean" >"$work/clean.fp"; }
    usage_fingerprint "$db" >"$work/raced.fp"
    cmp -s "$work/clean.fp" "$work/raced.fp"; check $? "  … stored events and rollup equal the two files ingested in turn ($(head -1 "$work/raced.fp"))"
done

# 2. Ingest racing invoice run and finalize of the same month.
url=$(setup_db rel50_close 20)
chunks=$(size 10 20)
DATABASE_URL=$url "$tally" usage generate --month "$P" --events $((chunks * $(size 500 20000))) --duplicate-percent 1 --out "$work/month.ndjson" >/dev/null
split -n "l/$chunks" -d -a 3 "$work/month.ndjson" "$work/chunk."
(
    for f in "$work"/chunk.*; do
        for _ in 1 2 3 4 5; do # busy (4) runs again
            DATABASE_URL=$url "$tally" usage ingest "$f" --rejects "$f.rejects" >"$f.out" 2>&1; rc=$?
            [ $rc -eq 4 ] || break
        done
        echo "$rc" >"$f.rc"
    done
) &
feeder=$!
sleep "$(awk "BEGIN { srand($RANDOM); print 0.2 + rand() * 0.4 }")"
DATABASE_URL=$url "$tally" invoice run --period "$P" >"$work/run.out" 2>&1 &
runner=$!
sleep 0.2
for _ in 1 2 3 4 5; do
    DATABASE_URL=$url "$tally" invoice finalize --period "$P" >"$work/fin.out" 2>&1; rc_fin=$?
    [ $rc_fin -eq 4 ] || break
done
wait $runner; rc_run=$?
feeding=$(kill -0 $feeder 2>/dev/null && echo yes || echo no)
wait $feeder
races=$((races + 1))
ok_status $rc_run; check $? "invoice run while ingesting: exit $rc_run"
check $rc_fin "invoice finalize while ingesting (still ingesting when it ended: $feeding; $(head -c 160 "$work/fin.out"))"
bad_ingests=$(cat "$work"/chunk.*.rc | grep -vcx 0)
check "$bad_ingests" "every chunk ingested ($chunks chunks, $bad_ingests not)"
DATABASE_URL=$url "$tally" invoice run --period "$C" >"$work/next.out" 2>&1; check $? "next month's invoice run ($(head -1 "$work/next.out"))"
late=$(q "$url" "SELECT count(*) FROM usage_events WHERE late")
# Every token of the month is billed exactly once: on the month's finalized
# invoices, or as late usage of that month on the next month's.
vanished=$(q "$url" "WITH used AS (SELECT customer_id, sum(input_tokens + cached_input_tokens + output_tokens) AS q FROM usage_events
                                   WHERE month = '$P-01' GROUP BY 1),
                         billed AS (SELECT customer_id, sum(l.quantity::numeric) AS q FROM invoices i,
                                   json_to_recordset(i.lines) AS l(usage_month text, quantity text) WHERE l.usage_month = '$P' GROUP BY 1)
    SELECT count(*) FROM used FULL JOIN billed USING (customer_id) WHERE used.q IS DISTINCT FROM billed.q")
check "$vanished" "every token of $P billed exactly once ($late late events on $C's drafts; $vanished customers off)"
figure late_events "$late"
figure customers_with_lost_or_doubled_usage "$vanished"

# 3. Two rates loads at once (five times), against one load.
url=$(fresh_db rel50_rates)
single=$(fresh_db rel50_rates_single)
DATABASE_URL=$single "$tally" rates load "$repo/rates" >/dev/null
for round in $(seq "$(size 3 10)"); do
    DATABASE_URL=$url "$tally" rates load "$repo/rates" >"$work/l1" 2>&1 & p1=$!
    DATABASE_URL=$url "$tally" rates load "$repo/rates" >"$work/l2" 2>&1 & p2=$!
    wait $p1; r1=$?; wait $p2; r2=$?
    races=$((races + 1))
    ok_status $r1 && ok_status $r2; check $? "two rates loads at once, round $round: exits $r1 and $r2 ($(grep -h Error "$work/l1" "$work/l2" | head -c 160))"
done
DATABASE_URL=$url "$tally" rates load "$repo/rates" | grep -q "0 version(s) added, 0 changed"; check $? "  … a further load changes nothing"
fp() { q "$1" "SELECT (p.*)::text FROM rate_card_prices p ORDER BY 1"; q "$1" "SELECT card_id, effective_from FROM rate_card_versions ORDER BY 1, 2"; }
[ "$(fp "$url")" = "$(fp "$single")" ]; check $? "  … cards and prices equal one load"

# 4. Concurrent quote acceptances.
url=$(setup_db rel50_quotes 8)
DATABASE_URL=$url "$tally" supply generate --month "$P" --sites 2 --gpu-types 2 --out "$work/supply" >/dev/null 2>&1
(cd "$work/supply" && DATABASE_URL=$url "$tally" supply import ./*.csv >/dev/null)
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
cp -r "$repo/rates" "$work/rates"
for c in 1 2 3 4; do
    DATABASE_URL=$url "$tally" quote --customer "cust-$c" --volume llama-3.3-70b-instruct:input=1e9,output=2e8 --discount "$c%" >/dev/null 2>&1 ||
        check 1 "quote create for cust-$c"
done
pids=()
for j in 1 2 3 4 5; do
    DATABASE_URL=$url "$tally" quote accept "Q-$Y-000001" --rates "$work/rates" --effective "$N-01" >"$work/acc$j" 2>&1 & pids+=($!)
done
wins=0 bad=0
for pid in "${pids[@]}"; do wait "$pid"; rc=$?; [ $rc -eq 0 ] && wins=$((wins + 1)); ok_status $rc || bad=$((bad + 1)); done
races=$((races + 1))
[ $wins -eq 1 ] && [ $bad -eq 0 ]; check $? "five acceptances of one quote at once: $wins accepted, the others refused or busy ($bad wrong)"
pids=()
for c in 2 3 4; do
    DATABASE_URL=$url "$tally" quote accept "Q-$Y-00000$c" --rates "$work/rates" --effective "$N-01" >"$work/acc$c" 2>&1 & pids+=($!)
done
failed_accepts=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"; rc=$?
    if [ $rc -eq 4 ]; then # busy: run it again
        DATABASE_URL=$url "$tally" quote accept "Q-$Y-00000$((i + 2))" --rates "$work/rates" --effective "$N-01" >/dev/null 2>&1; rc=$?
    fi
    [ $rc -eq 0 ] || { failed_accepts=$((failed_accepts + 1)); head -c 300 "$work/acc$((i + 2))"; }
done
races=$((races + 1))
check "$failed_accepts" "three customers' quotes accepted at once: all accepted"
accepted=$(q "$url" "SELECT count(*) FROM quotes WHERE accepted_at IS NOT NULL")
cards=$(q "$url" "SELECT string_agg(id || '=' || card_id, ' ' ORDER BY id) FROM customers WHERE id IN ('cust-1','cust-2','cust-3','cust-4')")
[ "$accepted" = 4 ] && [ "$cards" = "cust-1=cust-1 cust-2=cust-2 cust-3=cust-3 cust-4=cust-4" ] && [ "$(ls "$work/rates/custom" | grep -c '^cust-')" = 4 ]
check $? "four quotes accepted once each, each customer on its card, four card files ($cards)"
"$tally" rates check "$work/rates" >/dev/null; check $? "the rates folder still checks"
figure races "$races"
finish
