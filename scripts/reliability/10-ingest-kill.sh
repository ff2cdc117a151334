#!/usr/bin/env bash
# Part 10: `tally usage ingest` killed with SIGKILL at random moments.
#
# A generated file (1% re-sent duplicates) is cut into overlapping pieces
# (each piece repeats the head of the next: duplicates across commits). Each
# piece is ingested, killed at a random moment of its expected duration, and
# ingested again until one attempt ends on its own; then the whole file is
# ingested once more ("the ingest is completed"). The stored events and the
# hourly rollup must equal one clean ingest of the file into another database,
# byte for byte: nothing lost, nothing doubled.
source "$(dirname "$0")/lib.sh"
events=$(size 8000 2000000)
kills_wanted=$(size 6 50)
pieces=$(size 3 10)

clean=$(setup_db rel10_clean 40)
killed=$(setup_db rel10_killed 40)
DATABASE_URL=$clean "$tally" usage generate --month "$P" --events "$events" --duplicate-percent 1 --out "$work/events.ndjson" >/dev/null ||
    { check 1 "usage generate"; finish; }
lines=$(wc -l <"$work/events.ndjson")
figure events_in_file "$lines"

t0=$(date +%s%N)
DATABASE_URL=$clean "$tally" usage ingest "$work/events.ndjson" --rejects "$work/clean.rejects" >"$work/clean.out" 2>&1
check $? "the clean ingest succeeds ($(grep -m1 ' events: ' "$work/clean.out"))"
clean_ms=$((($(date +%s%N) - t0) / 1000000))
figure clean_ingest_ms "$clean_ms"

# Overlapping pieces: piece i is its own lines plus the first tenth of piece i+1's.
per=$(((lines + pieces - 1) / pieces))
split -l "$per" -d -a 3 "$work/events.ndjson" "$work/piece."
files=("$work"/piece.*)
for i in "${!files[@]}"; do
    next=${files[$((i + 1))]:-}
    [ -n "$next" ] && head -n $((per / 10)) "$next" >>"${files[$i]}"
done

# Kills are spread over the pieces; each waits a random part of the time a
# piece takes (plus start-up), so some land in parsing, some in COPY, some in
# the rollup and commit.
piece_ms=$((clean_ms / pieces + clean_ms / pieces / 5 + 50))
kills=0 finished_early=0 attempts=0
for i in "${!files[@]}"; do
    quota=$(((kills_wanted - kills) / (${#files[@]} - i)))
    while :; do
        attempts=$((attempts + 1))
        DATABASE_URL=$killed "$tally" usage ingest "${files[$i]}" --rejects "$work/killed.rejects" >"$work/attempt.out" 2>&1 &
        pid=$!
        if [ "$quota" -gt 0 ]; then
            if kill_after_random "$pid" 20 "$piece_ms"; then
                kills=$((kills + 1)); quota=$((quota - 1)); continue
            fi
            finished_early=$((finished_early + 1))
            # It ended before the kill: its status must be a clean one.
            grep -q " accepted " "$work/attempt.out" || { check 1 "an unkilled attempt succeeds ($(head -c 300 "$work/attempt.out"))"; }
            break
        fi
        wait "$pid"
        check $? "piece $i completes after its kills"
        break
    done
done
# Kills a piece ended too soon to receive land on whole-file ingests (every
# event a duplicate by now: the conflict path), killed in their first seconds.
while [ "$kills" -lt "$kills_wanted" ]; do
    DATABASE_URL=$killed "$tally" usage ingest "$work/events.ndjson" --rejects "$work/killed.rejects" >"$work/attempt.out" 2>&1 &
    if kill_after_random $! 20 $((clean_ms < 15000 ? clean_ms + 50 : 15000)); then kills=$((kills + 1)); else finished_early=$((finished_early + 1)); fi
done
DATABASE_URL=$killed "$tally" usage ingest "$work/events.ndjson" --rejects "$work/killed.rejects" >"$work/final.out" 2>&1
check $? "the whole file ingests after the kills ($(grep -m1 ' events: ' "$work/final.out"))"
grep -q " 0 accepted " "$work/final.out"; check $? "and every event of it was already stored"

usage_fingerprint "$clean" >"$work/clean.fp"
usage_fingerprint "$killed" >"$work/killed.fp"
cmp -s "$work/clean.fp" "$work/killed.fp"
check $? "events and hourly rollup equal one clean ingest ($(grep -c '^event|' "$work/clean.fp") event groups, $(grep -c '^hourly|' "$work/clean.fp") rollup rows)"
diff "$work/clean.fp" "$work/killed.fp" | head -5
lost=$(($(q "$clean" "SELECT count(*) FROM usage_events") - $(q "$killed" "SELECT count(*) FROM usage_events")))
figure kills "$kills"
figure attempts_ended_before_kill "$finished_early"
figure events_lost_or_doubled "${lost#-}"
finish
