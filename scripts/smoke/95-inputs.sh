# Inputs that crashed Tally, failed a whole file, or were accepted but wrong (issue 14).
url=$(fresh_db)
in=$(mktemp -d)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
ev() { # id, timestamp, extra JSON members
    printf '{"id":"%s","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"%s","input_tokens":1000,"output_tokens":10,"site":"s"%s}\n' "$1" "$2" "${3:-}"
}
LONG_AGO="$((Y - 2))-01-01T00:00:00Z"                             # more than 400 days before today
SOON=$(date -u -d "@$((epoch + 3600))" +%Y-%m-%dT%H:%M:%SZ)       # an hour ahead of the clock
{
    ev g1 "$P-03T10:00:00Z"
    ev old "$LONG_AGO"
    ev soon "$SOON"
    ev offset "$P-03T10:00:00+16:00"
    printf '{"id":"\xff","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"%s-03T10:00:00Z","site":"s"}\n' "$P"
    ev g2 "$P-03T11:00:00Z" ',"tag":"\ud83d\ude00"'
} >"$in/e.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$in/e.ndjson" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "6 events: 2 accepted (0 late), 0 duplicate, 4 rejected" <<<"$out"
check "usage ingest: out-of-window, +16:00 and invalid UTF-8 lines rejected alone, the rest land (exit 3)" $?
r="$in/e.ndjson.rejects.ndjson"
grep -q '"line":2,"reason":"\\"timestamp\\" '"'$LONG_AGO'"' is outside the accepted window' "$r" && \
    grep -q '"line":3,.*is outside the accepted window' "$r" && grep -q '"line":4,.*UTC offset beyond ±15:59' "$r" && \
    grep -q '"line":5,"reason":"\\"id\\" is not valid UTF-8"' "$r"
check "the rejects file names each line and its reason" $?
[ "$(psql "$url" -qAt -c "SELECT tag FROM usage_events WHERE event_id = 'g2'")" = "😀" ]; check "a JSON surrogate pair is read as one character" $?

printf 'id,customer,model,timestamp,input_tokens,site\nc1,acme,llama-3.3-70b-instruct,%s-04T10:00:00Z,5,s\nc2,acme,llama-3.3-70b-instruct,%s-04T10:00:00Z,5,s\0x\n' "$P" "$P" >"$in/e.csv"
out=$(DATABASE_URL=$url "$tally" usage ingest "$in/e.csv" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "1 accepted" <<<"$out" && grep -q '"line":3,"reason":"field 6 (site) holds a NUL byte' "$in/e.csv.rejects.ndjson"
check "usage ingest: a CSV field with a NUL byte rejects its row alone" $?

{ ev u1 "$P-05T10:00:00Z"; ev u2 "$P-05T10:00:00Z" ',"output_token":500'; ev u3 "$P-05T10:00:00Z" ',"output_token":7'; } >"$in/u.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$in/u.ndjson" 2>&1 >/dev/null); rc=$?
[ $rc -eq 0 ] && grep -q 'warning: unknown key "output_token" in 2 event(s), first on line 2: ignored' <<<"$out"
check "usage ingest warns on stderr about an unknown key, naming it and its first line" $?
sed 's/"u\([0-9]\)"/"s\1"/' "$in/u.ndjson" >"$in/s.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest --strict "$in/s.ndjson" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "1 accepted (0 late), 0 duplicate, 2 rejected" <<<"$out" && \
    grep -q '"line":2,"reason":"unknown key \\"output_token\\" (--strict)"' "$in/s.ndjson.rejects.ndjson"
check "usage ingest --strict rejects events with unknown keys (exit 3)" $?

(cd "$repo" && DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null && DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null)
for spec in "1=" "=1" "1,,2" "1,1=0.01"; do
    out=$(DATABASE_URL=$url "$tally" invoice credit-note INV-$Y-000001 --lines "$spec" --reason x 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q -- "--lines '$spec'" <<<"$out" && [ "$(psql "$url" -qAt -c "SELECT count(*) FROM credit_notes")" = 0 ]
    check "invoice credit-note --lines '$spec' is refused, nothing written" $?
done

mkdir "$in/cards"
printf 'card: nul\ncurrency: USD\nversions:\n  - effective_from: %s-01T00:00:00Z\n    models:\n      "llama\\0x": { input: 1 }\n' "$P" >"$in/cards/nul.yaml"
out=$("$tally" rates check "$in/cards" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "nul.yaml:6: model .*must be printable" <<<"$out"; check "rates check refuses a NUL in a model name, naming file:line" $?

start_s=$(date +%s)
out=$(DATABASE_URL=$url "$tally" cost --from "$((Y - 3))-01-01" --to "$Y-01-01" --by day 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "a cost period is at most 366" <<<"$out" && [ $(($(date +%s) - start_s)) -lt 10 ]
check "cost refuses a range longer than 366 days at once" $?
rm -rf "$in"
