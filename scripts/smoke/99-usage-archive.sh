# Retention (issue 16): a month's raw events leave for checked gzip files only
# once it and the months around it are issued and the grace period has
# passed, come back exactly, a damaged file is refused, partitions ahead.
# The clock is set 200 days ahead (T0), so that the month archived, six
# months before T0, and the two before it are all priced by rates/ (whose
# first version starts in 2026-10).
url=$(fresh_db)
u=$(mktemp -d)
T0=$(date -u -d "@$((epoch + 200 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
C0=${T0:0:7}
t() { DATABASE_URL=$url TALLY_NOW=$T0 "$tally" "$@"; }
t rates load "$repo/rates" >/dev/null
t customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
month_of() { date -u -d "$C0-01 $1 month" +%Y-%m; } # the month N months from T0's
A=$(month_of -6)
A_PART=usage_events_${A/-/_}
ev() { # id, timestamp, input tokens, tag
    printf '{"id":"%s","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"%s","input_tokens":%s,"output_tokens":10,"site":"s","tag":"%s"}\n' "$1" "$2" "$3" "$4"
}
for i in $(seq 1 50); do ev "r$i" "$A-0$((1 + i % 9))T1$((i % 10)):00:00Z" $((100 + i)) 'k\tab'; done >"$u/a.ndjson"
t usage ingest "$u/a.ndjson" >/dev/null
digest() { psql "$url" -qAt -c "SELECT count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY customer_id, event_id)) FROM usage_events e WHERE month = '$A-01'"; }
rollup() { psql "$url" -qAt -c "SELECT count(*) || ' ' || md5(string_agg(h::text, ',' ORDER BY h::text)) FROM usage_hourly h"; }
before=$(digest)
out=$(t usage archive --month "$A" --out "$u/arch" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "$A is not finalized as a whole" <<<"$out" && [ ! -e "$u/arch/MANIFEST" ]
check "usage archive of a month not finalized is refused (exit 3), nothing written" $?
for k in -8 -7 -6 -5 -4; do t invoice finalize --period "$(month_of $k)" >/dev/null; done
rolled=$(rollup) # after finalizing, which freezes the months' rollup rows (migration 0015)
out=$(t usage archive --month "$A" --out "$u/arch" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "$A can be archived from" <<<"$out" && [ "$(digest)" = "$before" ]
check "usage archive within the grace period is refused (exit 3)" $?
LATER=$(date -u -d "@$((epoch + 261 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
out=$(DATABASE_URL=$url TALLY_NOW=$LATER "$tally" usage archive --month "$A" --out "$u/arch" --rows-per-file 20); rc=$?
[ $rc -eq 0 ] && grep -q "^$A: 50 events archived to $u/arch (3 file(s)" <<<"$out" && [ -f "$u/arch/MANIFEST" ] \
    && [ "$(find "$u/arch" -name '*.tsv.gz' | wc -l)" -eq 3 ] && grep -q "^events 50$" "$u/arch/MANIFEST" \
    && [ "$(psql "$url" -qAt -c "SELECT to_regclass('$A_PART') IS NULL")" = t ] && [ "$(rollup)" = "$rolled" ]
check "usage archive after the grace period: 3 gzip files and a MANIFEST, partition dropped, rollup kept" $?
out=$(t usage verify --period "$A" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "are archived" <<<"$out"
check "usage verify of an archived month is refused (exit 3)" $?
ev late "$A-15T10:00:00Z" 5 '' >"$u/late.ndjson"
out=$(t usage ingest "$u/late.ndjson" 2>/dev/null); rc=$?
[ $rc -eq 3 ] && grep -q "whose raw events are archived: too late (beyond retention)" "$u/late.ndjson.rejects.ndjson"
check "an event of an archived month is rejected as beyond retention" $?
cp -r "$u/arch" "$u/damaged"
f="$u/damaged/$A_PART.001.tsv.gz"
b=$(od -An -tu1 -j 40 -N1 "$f" | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
out=$(t usage restore --from "$u/damaged" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "$A_PART.001.tsv.gz does not match the manifest" <<<"$out" \
    && [ "$(psql "$url" -qAt -c "SELECT to_regclass('$A_PART') IS NULL")" = t ]
check "usage restore of an archive with a flipped byte names the file, restores nothing (exit 2)" $?
out=$(t usage restore --from "$u/arch"); rc=$?
[ $rc -eq 0 ] && grep -q "^$A: 50 events restored" <<<"$out" && [ "$(digest)" = "$before" ] && [ "$(rollup)" = "$rolled" ] \
    && t usage verify --period "$A" >/dev/null
check "usage restore brings every row back exactly; usage verify finds no difference" $?
out=$(t audit --format csv); rc=$?
[ $rc -eq 0 ] && grep -q "usage.archive,$A" <<<"$out" && grep -q "usage.restore,$A" <<<"$out"
check "archive and restore are in the audit log" $?
first=$(t usage partitions --ahead 5); second=$(t usage partitions --ahead 5)
N5=$(month_of 5)
grep -q "^usage_events_${N5/-/_} created$" <<<"$first" && [ "$(grep -c ' exists$' <<<"$second")" -eq 6 ]
check "usage partitions --ahead 5 creates the coming months once" $?
rm -rf "$u"
