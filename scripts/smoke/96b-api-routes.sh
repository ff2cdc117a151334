# The API's route groups with curl against the real `tally serve`: customers,
# usage, rate cards, void and payment, quotes, reports, /openapi.json; the
# changes audited with the key's name and role. The rates folder is a copy
# (a quote acceptance would write a card file there).
url=$(fresh_db)
a=$(mktemp -d)
cp -R "$repo/rates" "$a/rates"
DATABASE_URL=$url "$tally" rates load "$a/rates" >/dev/null
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" customers add --id berlin --name "Berlin GmbH" --email r@berlin.de --country DE --currency USD >/dev/null
printf '%s\n' '{"id":"1","customer":"acme","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":2000000,"output_tokens":1000000,"site":"s"}' \
    '{"id":"2","customer":"berlin","model":"llama-3.3-70b-instruct","timestamp":"'"$P"'-04T10:00:00Z","input_tokens":5000000,"output_tokens":100000,"site":"s"}' >"$a/events.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$a/events.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null
finance=$(DATABASE_URL=$url "$tally" keys create --name books --role finance 2>/dev/null | tail -n 1)
sales=$(DATABASE_URL=$url "$tally" keys create --name deals --role sales 2>/dev/null | tail -n 1)
ops=$(DATABASE_URL=$url "$tally" keys create --name watch --role ops 2>/dev/null | tail -n 1)
DATABASE_URL=$url TALLY_RATES=$a/rates "$tally" serve --port 0 >"$a/serve.out" 2>"$a/serve.log" &
serve_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$a/serve.log" 2>/dev/null && break; sleep 0.1; done
api="http://$(grep -m1 -o 'listening on [^ ]*' "$a/serve.log" | sed 's/listening on //')"
api_call() { # method path key [json body]: prints "STATUS BODY"
    local args=(-s -o "$a/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3")
    [ $# -ge 4 ] && args+=(-H "Content-Type: application/json" --data "$4")
    local status
    status=$(curl "${args[@]}" "$api$2")
    echo "$status $(cat "$a/body")"
}

out=$(api_call GET /v1/customers "$sales")
[ "${out%% *}" = 200 ] && grep -q '"id":"acme"' <<<"$out" && grep -q '"id":"berlin"' <<<"$out"
check "API: GET /v1/customers (sales) lists the customers" $?
out=$(api_call POST /v1/customers "$finance" '{"id":"globex","name":"Globex","billing_email":"ap@globex.example","country":"US","currency":"USD"}')
[ "${out%% *}" = 201 ] && grep -q '"card":"public"' <<<"$out"
check "API: POST /v1/customers (finance) creates one, defaults as the CLI's" $?
out=$(api_call POST /v1/customers "$sales" '{"id":"x","name":"X","billing_email":"x@x.example","country":"US","currency":"USD"}')
[ "${out%% *}" = 403 ] && grep -q '"code":"auth.forbidden"' <<<"$out"
check "API: sales may not create a customer (403 problem)" $?
out=$(api_call POST /v1/customers "$finance" '{"id":"y","name":"Y","billing_email":"y@y.example","country":"US","currency":"USD","colour":"red"}')
[ "${out%% *}" = 400 ] && grep -q 'unknown field(s) \\"colour\\"' <<<"$out"
check "API: an unknown field is refused (400), nothing stored" $?
out=$(api_call GET "/v1/customers/acme/usage/$P?by=day" "$finance")
[ "${out%% *}" = 200 ] && grep -q "\"day\":\"$P-03\"" <<<"$out" && grep -q '"input_tokens":2000000' <<<"$out"
check "API: GET /v1/customers/acme/usage/$P?by=day" $?
out=$(api_call GET "/v1/rate-cards/public?at=$TODAY" "$sales")
[ "${out%% *}" = 200 ] && grep -q '"model":"llama-3.3-70b-instruct"' <<<"$out"
check "API: GET /v1/rate-cards/public?at=$TODAY" $?
out=$(api_call POST "/v1/invoices/INV-$Y-000002/void" "$finance" '{"reason":"wrong entity"}')
[ "${out%% *}" = 201 ] && grep -q "\"number\": \"CN-$Y-000001\"" <<<"$out"
check "API: void INV-$Y-000002 gives CN-$Y-000001 (201)" $?
out=$(api_call POST "/v1/invoices/INV-$Y-000001/payments" "$finance" '{}')
[ "${out%% *}" = 200 ] && grep -q '"status": "paid"' <<<"$out"
check "API: record a payment of INV-$Y-000001" $?
out=$(api_call POST "/v1/invoices/INV-$Y-000001/void" "$finance" '{"reason":"late"}')
[ "${out%% *}" = 409 ] && grep -q '"code":"invoice.state"' <<<"$out"
check "API: a paid invoice cannot be voided (409 invoice.state, the CLI's code)" $?
out=$(api_call POST /v1/quotes "$sales" '{"customer":"acme","volumes":["llama-3.3-70b-instruct:input=2e9,output=5e8"]}')
[ "${out%% *}" = 201 ] && grep -q '"stored" : true' <<<"$out"
check "API: POST /v1/quotes (sales) prices and stores a quote" $?
out=$(api_call GET "/v1/reports/margin?period=$P&by=customer" "$ops")
[ "${out%% *}" = 200 ] && grep -q '"key" : "acme"' <<<"$out"
check "API: GET /v1/reports/margin (ops)" $?
curl -s "$api/openapi.json" | cmp -s - "$repo/openapi/tally.openapi.json"
check "API: GET /openapi.json (no key) is the repository's document" $?
DATABASE_URL=$url "$tally" audit --format csv | grep -E ',(books,finance|deals,sales),' | cut -d, -f3-6 >"$a/audit"
[ "$(paste -sd' ' "$a/audit")" = "books,finance,customers.create,globex books,finance,invoice.void,INV-$Y-000002 books,finance,invoice.payment,INV-$Y-000001 deals,sales,quote.create,Q-$Y-000001" ]
check "API changes are audited with the key's name and role; refusals record nothing" $?
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null
rm -rf "$a"
