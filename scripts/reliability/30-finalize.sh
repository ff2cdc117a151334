#!/usr/bin/env bash
# Part 30: `invoice finalize` killed with SIGKILL at random moments, and
# several finalizers at once (the whole month, single customers, different
# issue dates) for the month before, each with with hundreds (bounded) or thousands (full) of
# customers. Numbers must stay gapless (INV-Y-000001 … N, no duplicate), in
# issue-date order, every draft finalized exactly once, and `tally invoice
# check` must recompute every invoice to the cent.
source "$(dirname "$0")/lib.sh"
customers=$(size 300 3000)
kills_wanted=$(size 4 20)
rounds=$(size 2 6)

url=$(setup_db rel30 "$customers")
P2=$(date -u -d "$P-01 -1 month" +%Y-%m) # the month before P: finalized by several finalizers at once
# Each customer uses 2 models of the public card, active one hour in seven, in P2 and P.
for month in "$P2" "$P"; do
    q "$url" "WITH models AS (SELECT array_agg(DISTINCT model ORDER BY model) AS m FROM rate_card_prices WHERE card_id = 'public')
        INSERT INTO usage_hourly (customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events)
        SELECT 'cust-' || c, timestamptz '$month-01 00:00:00+00' + h_i * interval '1 hour', m[1 + (c * 7 + k * 11) % array_length(m, 1)],
               'us-ashburn-1', 'key-' || (c % 3), '$month-01', 1000 + (c * h_i) % 90000, (c + h_i) % 5000, 200 + (c * 3 + h_i) % 30000, 1 + h_i % 40
        FROM models, generate_series(1, $customers) c, generate_series(0, 1) k, generate_series(0, 27 * 24) h_i
        WHERE (c * 31 + h_i * 17 + k * 7) % 7 = 0" >/dev/null
    DATABASE_URL=$url "$tally" invoice run --period "$month" >"$work/run.out" 2>&1; rc=$?
    check $rc "invoice run of $month, $customers customers ($(head -1 "$work/run.out"))"
done
t0=$(date +%s%N)
DATABASE_URL=$url "$tally" invoice run --period "$P" >/dev/null 2>&1
run_ms=$((($(date +%s%N) - t0) / 1000000))

# P2 by finalizers at once: single customers with random issue dates and, in
# the last round, the whole month; some killed. Each must end 0 (done), 3
# (refused: already final, a date before the series' last) or 4 (busy), or be
# killed; never 1 or a crash.
p2_first=$(date -u -d "$P2-01 +1 month" +%F)
concurrent=0 bad=0 concurrent_kills=0
for r in $(seq "$rounds"); do
    pids=()
    for j in 1 2 3 4 5; do
        c=$((1 + RANDOM % customers))
        d=$(date -u -d "$p2_first +$((r - 1 + RANDOM % 2)) days" +%F)
        DATABASE_URL=$url "$tally" invoice finalize --period "$P2" --customer "cust-$c" --date "$d" >"$work/c$j.out" 2>&1 &
        pids+=($!)
    done
    if [ "$r" = "$rounds" ]; then
        DATABASE_URL=$url "$tally" invoice finalize --period "$P2" --date "$(date -u -d "$p2_first +$r days" +%F)" >"$work/m.out" 2>&1 &
        pids+=($!)
    fi
    victim=${pids[$((RANDOM % ${#pids[@]}))]}
    kill_after_random "$victim" 10 $((run_ms / 2 + 100)) && concurrent_kills=$((concurrent_kills + 1))
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null; rc=$?
        concurrent=$((concurrent + 1))
        case $rc in 0 | 3 | 4 | 137) ;; *) bad=$((bad + 1)); echo "  finalizer exit $rc: $(grep -h Error "$work"/c*.out "$work/m.out" 2>/dev/null | head -2)" ;; esac
    done
done
DATABASE_URL=$url "$tally" invoice finalize --period "$P2" --date "$(date -u -d "$p2_first +$((rounds + 1)) days" +%F)" >"$work/final2.out" 2>&1
check $? "the month $P2 completes after the concurrent finalizers ($(head -c 200 "$work/final2.out"))"
check "$bad" "concurrent finalizers end 0, 3 or 4 ($concurrent run, $concurrent_kills killed)"

# P: the whole month's finalize (it rebuilds the drafts first, then numbers
# them) killed at random moments, then completed.
today=$(date -u -d "@$now_epoch" +%F)
kills=0 ended=0
for _ in $(seq "$kills_wanted"); do
    DATABASE_URL=$url "$tally" invoice finalize --period "$P" --date "$today" >"$work/f.out" 2>&1 &
    if kill_after_random $! 50 $((run_ms + 100)); then kills=$((kills + 1)); else ended=$((ended + 1)); break; fi
done
figure kills "$kills"
figure finalize_ended_before_kill "$ended"
DATABASE_URL=$url "$tally" invoice finalize --period "$P" --date "$today" >"$work/final.out" 2>&1; rc=$?
[ $rc -eq 0 ] || [ "$ended" -gt 0 ]
check $? "a last finalize of $P completes ($(head -c 200 "$work/final.out"))"

total=$(q "$url" "SELECT count(*) FROM invoices")
drafts=$(q "$url" "SELECT count(*) FROM invoices WHERE status = 'draft'")
check "$drafts" "every invoice finalized ($total invoices, $drafts drafts left)"
# Gapless, unique, in date order: number i is the i-th by (number), and dates never go back.
gaps=$(q "$url" "WITH n AS (SELECT substring(number from 10)::int AS k, issue_date, number FROM invoices WHERE number LIKE 'INV-$Y-%')
    SELECT (SELECT count(*) FROM n) - (SELECT count(DISTINCT k) FROM n)
         + (SELECT coalesce(max(k), 0) FROM n) - (SELECT count(*) FROM n)
         + (SELECT count(*) FROM (SELECT issue_date < lag(issue_date) OVER (ORDER BY k) AS back FROM n) b WHERE back)")
check "$gaps" "numbers INV-$Y-000001 … $(q "$url" "SELECT count(*) FROM invoices WHERE number IS NOT NULL"): no gap, no duplicate, dates in order"
seq_last=$(q "$url" "SELECT last_number FROM document_sequences WHERE kind = 'INV' AND year = $Y")
[ "$seq_last" = "$total" ]; check $? "the series counter says $seq_last, as many as invoices ($total)"
DATABASE_URL=$url "$tally" invoice check >"$work/check.out" 2>&1; rc=$?
check $rc "invoice check recomputes every invoice ($(tail -1 "$work/check.out"))"
figure customers "$customers"
figure concurrent_finalizers "$concurrent"
figure concurrent_kills "$concurrent_kills"
figure invoices_numbered "$total"
figure numbering_faults "$gaps"
finish
