# Usage integrity (issue 16): an id re-sent with a next-month timestamp is not
# billed twice, conflicts are rejected with their reason, chunked and
# several-file ingest, `tally usage verify`, and usage of an issued month
# refusing edits.
url=$(fresh_db)
u=$(mktemp -d)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
ev() { # id, timestamp, input tokens
    printf '{"id":"%s","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"%s","input_tokens":%s,"output_tokens":10,"site":"s"}\n' "$1" "$2" "$3"
}
{ ev i1 "$P_LAST"T23:00:00Z 100; ev i2 "$P"-02T10:00:00Z 200; ev i3 "$P"-02T10:30:00Z 300; } >"$u/first.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest --chunk-events 1 "$u/first.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -q "3 events: 3 accepted (0 late), 0 duplicate, 0 rejected" <<<"$out"
check "usage ingest --chunk-events 1: every event lands, one chunk each" $?
# The same event re-sent with a timestamp in the next month (this month, $C).
ev i1 "$C"-01T00:00:00Z 100 >"$u/next.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$u/next.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 3 ] && grep -q "1 events: 0 accepted (0 late), 0 duplicate, 1 rejected" <<<"$out" \
    && grep -q '"line":1,"reason":"duplicate id with different content"' "$u/next.ndjson.rejects.ndjson"
check "an id re-sent with a next-month timestamp is rejected as a conflict, not billed twice (exit 3)" $?
# Several files and standard input: identical re-sends are duplicates, other tokens a conflict.
ev i2 "$P"-02T10:00:00Z 200 >"$u/same.ndjson"
ev i3 "$P"-02T10:30:00Z 301 >"$u/other.ndjson"
out=$(cd "$u" && ev i4 "$P"-03T10:00:00Z 400 | DATABASE_URL=$url "$tally" usage ingest - same.ndjson other.ndjson 2>/dev/null); rc=$?
[ $rc -eq 3 ] && grep -q "^same.ndjson: 1 events: 0 accepted (0 late), 1 duplicate, 0 rejected" <<<"$out" \
    && grep -q "^total: 3 events: 1 accepted (0 late), 1 duplicate, 1 rejected" <<<"$out" \
    && grep -q "duplicate id with different content" "$u/other.ndjson.rejects.ndjson"
check "usage ingest of stdin and two files: a summary per file and a total; conflict listed" $?
out=$(DATABASE_URL=$url "$tally" usage verify --period "$P"); rc=$?
[ $rc -eq 0 ] && grep -q "the hourly rollup matches the raw events" <<<"$out"
check "usage verify: the rollup matches the raw events (exit 0)" $?
psql "$url" -qAt -c "UPDATE usage_hourly SET output_tokens = output_tokens + 5 WHERE hour = '${P}-02T10:00:00Z'" >/dev/null
out=$(DATABASE_URL=$url "$tally" usage verify --period "$P" --format json); rc=$?
[ $rc -eq 1 ] && grep -q '"rollup_output_tokens" : 25' <<<"$out" && grep -q '"raw_output_tokens" : 20' <<<"$out"
check "usage verify reports a corrupted rollup row with both sides (exit 1)" $?
out=$(DATABASE_URL=$url "$tally" usage verify --period "$P" --format csv); rc=$?
table=$(DATABASE_URL=$url "$tally" usage verify --period "$P"); trc=$?
[ $rc -eq 1 ] && [ $trc -eq 1 ] && grep -q "1 difference(s)" <<<"$table" && [ "$(wc -l <<<"$out")" -eq 2 ] && grep -q "^acme,${P}-02T10:00:00Z,llama-3.3-70b-instruct,s,,${P}-01,500,0,25,2,500,0,20,2$" <<<"$out"
check "usage verify --format csv and table: the same difference (exit 1)" $?
psql "$url" -qAt -c "UPDATE usage_hourly SET output_tokens = output_tokens - 5 WHERE hour = '${P}-02T10:00:00Z'" >/dev/null
DATABASE_URL=$url "$tally" invoice run --period "$P" >/dev/null && DATABASE_URL=$url "$tally" invoice finalize --period "$P" >/dev/null
out=$(psql "$url" -qAt -c "UPDATE usage_events SET input_tokens = 1 WHERE event_id = 'i2'" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "is frozen: that month's invoice is issued" <<<"$out"
check "usage of an issued month refuses UPDATE" $?
out=$(psql "$url" -qAt -c "DELETE FROM usage_hourly" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "is frozen" <<<"$out"
check "the hourly rollup of an issued month refuses DELETE" $?
ev i5 "$P"-04T10:00:00Z 500 >"$u/late.ndjson"
out=$(DATABASE_URL=$url "$tally" usage ingest "$u/late.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -q "1 accepted (1 late)" <<<"$out" && DATABASE_URL=$url "$tally" usage verify --period "$P" >/dev/null
check "late usage of the issued month still lands (late) and verifies" $?
