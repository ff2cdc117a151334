#!/usr/bin/env bash
# Part 20: PostgreSQL restarted (fast: a clean shutdown that ends sessions;
# immediate: a crash and WAL recovery) in the middle of `usage ingest`,
# `invoice run`, `invoice finalize` and `quote accept`.
#
# To hit the middle for certain, another session holds a lock on a table the
# command writes, and the restart comes while the command waits for it (its
# transaction open, work done). Every interrupted command must fail with the
# documented database.unavailable error (exit 4, docs/errors.md); re-run, it
# must succeed, and the state must equal a database where nothing failed.
# Ingest is also restarted at random moments (no lock).
source "$(dirname "$0")/lib.sh"
random_restarts=$(size 1 10)
restarts=0

# Both databases get the same commands; "hit" also sees the restarts.
prepare() { # name -> url
    local url; url=$(setup_db "$1" 30)
    DATABASE_URL=$url "$tally" supply generate --month "$P" --sites 2 --gpu-types 2 --out "$work/supply" >/dev/null 2>&1
    (cd "$work/supply" && DATABASE_URL=$url "$tally" supply import ./*.csv >/dev/null) || { echo "supply import failed" >&2; exit 1; }
    echo "$url"
}
clean=$(prepare rel20_clean)
hit=$(prepare rel20_hit)
DATABASE_URL=$clean "$tally" usage generate --month "$P" --events "$(size 3000 200000)" --out "$work/events.ndjson" >/dev/null

# A command interrupted by a restart: exit 4 and a database.unavailable error.
interrupted() { # label mode table command…
    local label=$1 mode=$2 table=$3; shift 3
    hold_lock "$hit" "$table" || { check 1 "$label: lock $table"; return; }
    DATABASE_URL=$hit "$tally" "$@" >"$work/out" 2>"$work/err" &
    local pid=$!
    if ! wait_for_waiter "$hit" "$pid"; then
        check 1 "$label: reaches $table before the restart ($(head -c 200 "$work/err"))"
        kill "$blocker" 2>/dev/null; wait "$pid" "$blocker" 2>/dev/null; return
    fi
    pg_restart "$mode" && restarts=$((restarts + 1))
    wait "$pid"; local rc=$?
    wait "$blocker" 2>/dev/null
    [ $rc -eq 4 ] && grep -qE "^Error: (the database became unavailable during the command|the database is unavailable|cannot reach the database)" "$work/err"
    check $? "$label: restart -m $mode mid-command exits 4, database unavailable (exit $rc: $(head -c 160 "$work/err" | tr '\n' ' '))"
}

# Ingest: restart mid-command, then at random moments, then complete.
interrupted "usage ingest" fast usage_hourly usage ingest "$work/events.ndjson" --rejects "$work/rejects"
interrupted "usage ingest" immediate usage_hourly usage ingest "$work/events.ndjson" --rejects "$work/rejects"
random_hits=0
for _ in $(seq "$random_restarts"); do
    DATABASE_URL=$hit "$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects" >"$work/out" 2>"$work/err" &
    pid=$!
    sleep "$(awk "BEGIN { srand($RANDOM); print rand() * 1.5 }")"
    if kill -0 $pid 2>/dev/null; then
        mode=$([ $((RANDOM % 2)) = 0 ] && echo fast || echo immediate)
        pg_restart "$mode" && restarts=$((restarts + 1))
        wait $pid; rc=$?
        # Killed while connecting counts too: PostgreSQL refuses sessions while it shuts down.
        [ $rc -eq 0 ] || { [ $rc -eq 4 ] && grep -qE "^Error: (the database became unavailable during the command|the database is unavailable|cannot reach the database)" "$work/err"; }
        check $? "usage ingest, restart -m $mode at a random moment: done or exit 4 (exit $rc: $(head -c 160 "$work/err" | tr '\n' ' '))"
        random_hits=$((random_hits + 1))
    else
        wait $pid
    fi
done
for url in "$clean" "$hit"; do DATABASE_URL=$url "$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects" >/dev/null 2>&1; done
usage_fingerprint "$clean" >"$work/a"; usage_fingerprint "$hit" >"$work/b"
cmp -s "$work/a" "$work/b"; check $? "usage after the restarts equals a clean ingest"

# Invoice run and finalize.
interrupted "invoice run" fast invoices invoice run --period "$P"
interrupted "invoice run" immediate invoices invoice run --period "$P"
for url in "$clean" "$hit"; do DATABASE_URL=$url "$tally" invoice run --period "$P" >/dev/null 2>&1 || check 1 "invoice run"; done
interrupted "invoice finalize" fast document_sequences invoice finalize --period "$P"
interrupted "invoice finalize" immediate document_sequences invoice finalize --period "$P"
for url in "$clean" "$hit"; do DATABASE_URL=$url "$tally" invoice finalize --period "$P" >/dev/null 2>&1 || check 1 "invoice finalize"; done
invoices_fingerprint "$clean" >"$work/a"; invoices_fingerprint "$hit" >"$work/b"
cmp -s "$work/a" "$work/b"; check $? "invoices after the restarts equal a clean run ($(grep -c "|finalized|" "$work/a") finalized)"
DATABASE_URL=$hit "$tally" invoice check >/dev/null; check $? "invoice check passes"

# Quote acceptance (each database writes its own copy of the rates folder).
DATABASE_URL=$clean "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
DATABASE_URL=$hit "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
for side in clean hit; do
    cp -r "$repo/rates" "$work/rates-$side"
    url=${!side}
    DATABASE_URL=$url "$tally" quote --customer cust-7 --volume llama-3.3-70b-instruct:input=2e9,output=5e8 --discount 10% \
        --as-of "$C-01" >/dev/null 2>&1 || check 1 "quote create ($side)"
done
interrupted "quote accept" fast customers quote accept "Q-$Y-000001" --rates "$work/rates-hit" --effective "$N-01"
interrupted "quote accept" immediate customers quote accept "Q-$Y-000001" --rates "$work/rates-hit" --effective "$N-01"
DATABASE_URL=$clean "$tally" quote accept "Q-$Y-000001" --rates "$work/rates-clean" --effective "$N-01" >/dev/null 2>&1; check $? "quote accept (clean)"
DATABASE_URL=$hit "$tally" quote accept "Q-$Y-000001" --rates "$work/rates-hit" --effective "$N-01" >"$work/out" 2>&1
check $? "quote accept re-run after the restarts ($(head -c 200 "$work/out" | tr '\n' ' '))"
quotes_fingerprint "$clean" >"$work/a"; quotes_fingerprint "$hit" >"$work/b"
cmp -s "$work/a" "$work/b"; check $? "quotes, customers' cards and prices equal a clean acceptance"
diff -r "$work/rates-clean" "$work/rates-hit" >/dev/null; check $? "the written card files equal a clean acceptance"

figure restarts "$restarts"
figure random_moment_restarts "$random_hits"
finish
