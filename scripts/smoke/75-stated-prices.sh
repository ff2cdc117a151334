# Prices keep the decimals their card states (issue 13; docs/rate-cards.md,
# "Decimals as stated"): rates show, the rate preview, invoice documents, quotes.
url=$(fresh_db)
s=$(mktemp -d)
mkdir -p "$s/rates"
cat >"$s/rates/stated.yaml" <<EOF
card: stated
currency: USD
versions:
  - effective_from: $P-01T00:00:00Z
    models:
      m:
        input: 0.550000
        cached_input: 0.38
        output:
          tiers: graduated
          bands:
            - { up_to: 1000000, price: 2 }
            - { price: 1.500 }
EOF
cat >"$s/rates/stated-deal.yaml" <<EOF
card: stated-deal
currency: USD
base: stated
versions:
  - effective_from: $P-01T00:00:00Z
    discount_percent: 10
EOF
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null  # and the tax rates
DATABASE_URL=$url "$tally" rates load "$s/rates" >/dev/null
out=$(DATABASE_URL=$url "$tally" rates show stated --at $P-02T00:00:00Z)
grep -qE "^m +0\.550000 +0\.38 +graduated: 2 to 1,000,000 \| 1\.500 beyond$" <<<"$out"
check "rates show (table): prices as the card states them (0.550000, 0.38, 2, 1.500)" $?
out=$(DATABASE_URL=$url "$tally" rates show stated --at $P-02T00:00:00Z --format json)
python3 -c '
import json, sys
row = json.load(sys.stdin)[0]
assert (row["input"], row["cached_input"], row["output"]) == ("0.550000", "0.38", "graduated: 2 to 1000000 | 1.500 beyond"), row' <<<"$out"
check "rates show (json): prices as the card states them" $?
out=$(DATABASE_URL=$url "$tally" rates show stated-deal --at $P-02T00:00:00Z --format csv)
grep -qF "m,0.495000,0.342,graduated: 1.8 to 1000000 | 1.350 beyond" <<<"$out"
check "rates show (csv): a discounted price keeps the card's decimals and adds what it needs (0.495000, 0.342, 1.8, 1.350)" $?

DATABASE_URL=$url "$tally" customers add --id acme --name "Acme GmbH" --email ap@acme.de --country DE --currency USD --card stated >/dev/null
printf '%s\n' "{\"id\":\"s1\",\"customer\":\"acme\",\"model\":\"m\",\"timestamp\":\"$P-03T10:00:00Z\",\"input_tokens\":1000000,\"cached_input_tokens\":1000000,\"output_tokens\":1500000,\"site\":\"x\",\"tag\":\"\"}" >"$s/usage.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$s/usage.ndjson" >/dev/null 2>&1
out=$(DATABASE_URL=$url "$tally" rate --customer acme --period $P --format json)
python3 -c '
import json, sys
lines = json.load(sys.stdin)["lines"]
assert [l["unit_price_per_million"] for l in lines] == ["0.550000", "0.38", "2", "1.500"], lines
assert [l["amount"] for l in lines] == ["0.55", "0.38", "2.00", "0.75"], lines' <<<"$out"
check "rate (json): unit prices as stated, amounts unchanged" $?
out=$(DATABASE_URL=$url "$tally" rate --customer acme --period $P)
grep -qE "^m +input .* 0\.550000 +0\.55$" <<<"$out" && grep -qE "^m +output .* 1\.500 +0\.75$" <<<"$out"
check "rate (table): unit prices as stated" $?

DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null
inv=$(psql "$url" -qAt -c "SELECT number FROM invoices WHERE customer_id = 'acme'")
out=$(DATABASE_URL=$url "$tally" invoice show "$inv" --format json)
python3 -c '
import json, sys
lines = json.load(sys.stdin)["lines"]
assert [l["unit_price_per_million"] for l in lines] == ["0.550000", "0.38", "2", "1.500"], lines' <<<"$out"
check "invoice show (json): unit_price_per_million as the card states it" $?
out=$(DATABASE_URL=$url "$tally" invoice show "$inv" --format csv)
python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(sys.stdin) if r["kind"] == "line"]
assert [r["unit_price_per_million"] for r in rows] == ["0.550000", "0.38", "2", "1.500"], rows' <<<"$out"
check "invoice show (csv): unit_price_per_million as the card states it" $?
DATABASE_URL=$url "$tally" invoice show "$inv" --format cii >"$s/invoice.xml"
prices=$(tr -d '\n' <"$s/invoice.xml" | grep -oE "<ram:NetPriceProductTradePrice>[[:space:]]*<ram:ChargeAmount>[^<]*" | sed 's/.*>//' | paste -sd' ')
[ "$prices" = "0.550000 0.38 2 1.500" ] && "$repo/scripts/validate-cii.py" "$s/invoice.xml" >/dev/null
check "invoice show (cii): net prices as stated ($prices), and the document validates" $?

out=$(DATABASE_URL=$url "$tally" quote --prospect Initech --volume m:input=2e6,output=2e6 --card stated --price m:output=1.70 \
    --as-of $P-02 --format json)
python3 -c '
import json, sys
q = json.load(sys.stdin)["quote"]
own = [p["pricePerMillion"] for p in q["basis"]["prices"]]
bands = [b["unitPricePerMillion"] for l in q["lines"] for b in l["bands"]]
assert own == ["1.70"] and bands == ["0.550000", "1.70"], (own, bands)' <<<"$out"
check "quote (json): card and own prices as stated (0.550000, 1.70)" $?
rm -rf "$s"
