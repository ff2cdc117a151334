#!/usr/bin/env bash
# Part 15: `tally serve` killed with SIGKILL at random moments during HTTP ingest.
#
# A generated file (1% re-sent duplicates) is cut into batches; a client
# POSTs them in order to /v1/usage/events and re-sends a batch until it is
# answered 200 (a batch is acknowledged only once committed, so a batch whose
# answer was lost to a kill is simply sent again). Meanwhile the server is
# killed at random moments and started again at once. Once the kills are done
# the client sends the whole file once more against a server left alone ("the
# ingest is completed"). The stored events and hourly rollup must equal one
# clean `tally usage ingest` of the file into another database, byte for
# byte: nothing lost, nothing doubled.
source "$(dirname "$0")/lib.sh"
events=$(size 6000 2000000)
kills_wanted=$(size 6 50)
batch_lines=$(size 200 1000)

clean=$(setup_db rel15_clean 40)
served=$(setup_db rel15_served 40)
DATABASE_URL=$clean "$tally" usage generate --month "$P" --events "$events" --duplicate-percent 1 --out "$work/events.ndjson" >/dev/null ||
    { check 1 "usage generate"; finish; }
figure events_in_file "$(wc -l <"$work/events.ndjson")"
DATABASE_URL=$clean "$tally" usage ingest "$work/events.ndjson" --rejects "$work/clean.rejects" >"$work/clean.out" 2>&1
check $? "the clean ingest succeeds ($(grep -m1 ' events: ' "$work/clean.out"))"

mkdir -p "$work/batches"
split -l "$batch_lines" -d -a 6 "$work/events.ndjson" "$work/batches/b."
figure batches "$(ls "$work/batches" | wc -l)"
key=$(DATABASE_URL=$served "$tally" keys create --name reliability --role ingest 2>/dev/null | tail -n 1)
[ -n "$key" ]; check $? "an ingest key is created"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

server=
start_server() { # starts tally serve on $port and waits until it answers
    DATABASE_URL=$served "$tally" serve --port "$port" --log-level warning >>"$work/serve.log" 2>&1 &
    server=$!
    local i
    for i in $(seq 200); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
        kill -0 "$server" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# The client: every batch in order, each sent until answered 200. Prints the
# number of sends that were not answered 200 (lost to a kill, or refused
# while the server was down); exits 1 if a batch never got through.
send_all() {
    local f code tries unanswered=0
    for f in "$work"/batches/b.*; do
        tries=0
        while :; do
            code=$(curl -s -o "$work/response.json" -w '%{http_code}' --max-time 120 \
                -H "Authorization: Bearer $key" -H 'Content-Type: application/x-ndjson' \
                --data-binary @"$f" "http://127.0.0.1:$port/v1/usage/events")
            [ "$code" = 200 ] && break
            unanswered=$((unanswered + 1)); tries=$((tries + 1))
            [ "$tries" -lt 1200 ] || { echo "$unanswered"; echo "batch $f: never answered 200 (last: $code)" >&2; exit 1; }
            sleep 0.05
        done
    done
    echo "$unanswered"
}

start_server; check $? "tally serve starts"
send_all >"$work/client.out" 2>"$work/client.err" &
client=$!
kills=0 passes=1
while [ "$kills" -lt "$kills_wanted" ]; do
    if ! kill -0 "$client" 2>/dev/null; then
        # The file went through before every kill landed: send it again
        # (all duplicates by now) and keep killing.
        wait "$client" || check 1 "a client pass ends ($(cat "$work/client.err"))"
        send_all >"$work/client.out" 2>"$work/client.err" &
        client=$! passes=$((passes + 1))
    fi
    if kill_after_random "$server" 50 1500; then kills=$((kills + 1)); fi
    start_server || { check 1 "tally serve starts again after kill $kills ($(tail -n 3 "$work/serve.log"))"; break; }
done
wait "$client"; check $? "the client's last pass under kills ends ($(cat "$work/client.err"))"
unanswered=$(cat "$work/client.out")
# Completed: the whole file once more, the server left alone.
send_all >"$work/final.out" 2>"$work/final.err"
check $? "the whole file is sent once more without kills"
[ "$(cat "$work/final.out")" = 0 ]; check $? "and every batch of it is answered 200 at the first send"
kill -TERM "$server"; wait "$server"
check $? "tally serve exits 0 on SIGTERM"

usage_fingerprint "$clean" >"$work/clean.fp"
usage_fingerprint "$served" >"$work/served.fp"
cmp -s "$work/clean.fp" "$work/served.fp"
check $? "events and hourly rollup equal one clean ingest ($(grep -c '^event|' "$work/clean.fp") event groups, $(grep -c '^hourly|' "$work/clean.fp") rollup rows)"
diff "$work/clean.fp" "$work/served.fp" | head -5
lost=$(($(q "$clean" "SELECT count(*) FROM usage_events") - $(q "$served" "SELECT count(*) FROM usage_events")))
figure server_kills "$kills"
figure client_passes_under_kills "$passes"
figure sends_not_answered_200 "$unanswered"
figure events_lost_or_doubled "${lost#-}"
finish
