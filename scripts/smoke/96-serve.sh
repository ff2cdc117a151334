# tally serve: the real server on a free port (docs/api.md): health without
# a key, a key from `tally keys create` (alone on stdout's last line), usage
# over HTTP (NDJSON and a JSON array, chunked too), 401/403/404/413/415
# problem details, a month run and finalized, its CII invoice, a revoked key
# refused on the next request, SIGTERM ends it with exit 0. The server is
# killed whatever happens.
url=$(fresh_db)
s=$(mktemp -d)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
key=$(DATABASE_URL=$url "$tally" keys create --name smoke-admin --role admin 2>"$s/create.err" | tail -1)
[[ $key =~ ^tally_[0-9a-f]{64}$ ]] && grep -q "shown once" "$s/create.err"; check "keys create: the secret alone on stdout's last line, the note on stderr" $?
ingest_key=$(DATABASE_URL=$url "$tally" keys create --name smoke-fleet --role ingest 2>/dev/null | tail -1)
out=$(DATABASE_URL=$url "$tally" keys list --format json)
python3 -c 'import json,sys; k=json.load(sys.stdin); assert [x["name"] for x in k]==["smoke-admin","smoke-fleet"] and "hash" not in str(k) and "tally_" not in str(k)' <<<"$out"
check "keys list --format json: names and roles, never a secret or hash" $?

DATABASE_URL=$url TALLY_MAX_BODY_BYTES=4000 "$tally" serve --port 0 --connections 2 >"$s/out" 2>"$s/log" &
serve_pid=$!
trap 'kill -9 $serve_pid 2>/dev/null' EXIT
port=""
for _ in $(seq 1 300); do
    port=$(sed -nE 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$s/log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ]; check "tally serve --port 0 says where it listens on stderr" $?
api="http://127.0.0.1:$port"
code() { curl -s -o "$s/body" -w '%{http_code}' "$@"; }

[ "$(code "$api/healthz")" = 200 ] && [ "$(code "$api/readyz")" = 200 ]; check "healthz and readyz answer 200 without a key" $?
[ "$(code "$api/v1/invoices")" = 401 ] && python3 -c 'import json; p=json.load(open("'"$s/body"'")); assert p["code"]=="auth.unauthorized" and p["status"]==401 and p["instance"]'
check "no key: 401 problem details" $?
[ "$(code -H "Authorization: Bearer $ingest_key" "$api/v1/invoices")" = 403 ]; check "an ingest key reading invoices: 403" $?
[ "$(code -H "Authorization: Bearer $key" "$api/nowhere")" = 404 ] && grep -q '"code":"http.not_found"' "$s/body"; check "unknown path: 404 problem details" $?

printf '%s\n' '{"id":"s1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    'not json' '{"id":"s2","customer":"nobody","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":1,"output_tokens":1,"site":"s"}' >"$s/events.ndjson"
h=(-H "Authorization: Bearer $ingest_key" -H "Content-Type: application/x-ndjson")
[ "$(code "${h[@]}" --data-binary @"$s/events.ndjson" "$api/v1/usage/events")" = 200 ] \
    && python3 -c 'import json; r=json.load(open("'"$s/body"'")); assert (r["accepted"],r["duplicate"],r["rejected"])==(1,0,2) and [x["line"] for x in r["rejects"]]==[2,3], r'
check "POST /v1/usage/events (NDJSON): accepted, rejects by line" $?
[ "$(code "${h[@]}" -H "Transfer-Encoding: chunked" --data-binary @"$s/events.ndjson" "$api/v1/usage/events")" = 200 ] \
    && python3 -c 'import json; r=json.load(open("'"$s/body"'")); assert (r["accepted"],r["duplicate"])==(0,1), r'
check "the same batch again, chunked: a duplicate, nothing new" $?
printf '[{"id":"a1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"%s-04T10:00:00Z","input_tokens":10,"output_tokens":5,"site":"s"},\n 42]' "$P" >"$s/events.json"
[ "$(code -H "Authorization: Bearer $ingest_key" -H "Content-Type: application/json" --data-binary @"$s/events.json" "$api/v1/usage/events")" = 200 ] \
    && python3 -c 'import json; r=json.load(open("'"$s/body"'")); assert r["accepted"]==1 and [x["line"] for x in r["rejects"]]==[2], r'
check "POST /v1/usage/events (JSON array): elements numbered from 1" $?
head -c 5000 /dev/zero | tr '\0' 'x' >"$s/big"
[ "$(code "${h[@]}" -H "Transfer-Encoding: chunked" --data-binary @"$s/big" "$api/v1/usage/events")" = 413 ] \
    && [ "$(code "${h[@]}" --data-binary @"$s/big" "$api/v1/usage/events")" = 413 ]
check "a body over TALLY_MAX_BODY_BYTES: 413, chunked or not" $?
[ "$(code -H "Authorization: Bearer $ingest_key" -H "Content-Type: text/plain" --data-binary @"$s/events.ndjson" "$api/v1/usage/events")" = 415 ]
check "another content type: 415" $?

a=(-H "Authorization: Bearer $key" -H "Content-Type: application/json")
[ "$(code "${a[@]}" -d "{\"period\":\"$P\"}" "$api/v1/invoice-runs")" = 200 ] \
    && [ "$(code "${a[@]}" -d "{\"period\":\"$P\"}" "$api/v1/invoices/finalize")" = 200 ] && grep -q "INV-$Y-000001" "$s/body"
check "POST /v1/invoice-runs and /v1/invoices/finalize: the month's invoice numbered" $?
[ "$(code -H "Authorization: Bearer $key" -H "Accept: application/xml" "$api/v1/invoices/INV-$Y-000001")" = 200 ] \
    && DATABASE_URL=$url "$tally" invoice show INV-$Y-000001 --format cii | cmp -s - "$s/body"
check "GET /v1/invoices/NUMBER as CII XML: the same bytes as tally invoice show --format cii" $?
out=$(DATABASE_URL=$url "$tally" audit --format csv)
grep -q ",smoke-fleet,ingest,usage.ingest," <<<"$out" && grep -q ",smoke-admin,admin,invoice.finalize,$P," <<<"$out"
check "the audit log names the key and role of API changes" $?

DATABASE_URL=$url "$tally" keys revoke smoke-fleet >/dev/null
[ "$(code "${h[@]}" --data-binary @"$s/events.ndjson" "$api/v1/usage/events")" = 401 ]; check "a revoked key is refused on the next request" $?
! grep -q "$key\|$ingest_key" "$s/log"; check "keys never appear in the server's log" $?

kill -TERM $serve_pid
for _ in $(seq 1 100); do kill -0 $serve_pid 2>/dev/null || break; sleep 0.1; done
wait $serve_pid; rc=$?
trap - EXIT
[ $rc -eq 0 ]; check "SIGTERM: the server stops with exit 0" $?
