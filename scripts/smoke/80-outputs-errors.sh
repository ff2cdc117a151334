# Outputs and errors: every --format of every command parses; errors have a
# code, a sentence and an exit status per kind (docs/errors.md).
url=$(fresh_db)
o=$(mktemp -d)
"$tally" supply generate --month $P --sites 2 --gpu-types 1 --out "$o/supply" >/dev/null
(cd "$o/supply" && DATABASE_URL=$url "$tally" supply import *.csv >/dev/null)
DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null
DATABASE_URL=$url "$tally" market import "$repo/data/litellm-model-prices-1.110.2.json" >/dev/null
site=$(psql "$url" -qAt -c "SELECT id FROM sites ORDER BY id LIMIT 1")
DATABASE_URL=$url "$tally" customers add --id acme --name "Acme AI" --email billing@acme.ai --country US --currency USD >/dev/null
DATABASE_URL=$url "$tally" keys create --name smoke-ops --role ops >/dev/null 2>&1
# 2.7 billion input tokens (30 events of 90M, under the per-event limit): counts and amounts
# large enough to need thousands separators in tables.
for i in $(seq 1 30); do
    printf '%s\n' "{\"id\":\"e$i\",\"customer\":\"acme\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"$P-03T10:00:00Z\",\"input_tokens\":90000000,\"output_tokens\":100000,\"site\":\"$site\",\"tag\":\"k\"}"
done >"$o/usage.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$o/usage.ndjson" >/dev/null 2>&1
DATABASE_URL=$url "$tally" credits grant --customer acme --amount 1000.00 USD --expires $EXPIRES --reason welcome --date $P_LAST >/dev/null
DATABASE_URL=$url "$tally" invoice run --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice finalize --period $P >/dev/null
DATABASE_URL=$url "$tally" invoice mark-paid INV-$Y-000001 >/dev/null
quote=$(DATABASE_URL=$url "$tally" quote --prospect Globex --volume llama-3.3-70b-instruct:input=2e9,output=5e8 --as-of $C-01 --format json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["quote"]["id"])')

# Every command that offers --format, with the values its help lists (usage ingest's --format names its input).
commands=(
    "cost --from $P-01 --to $C-01 --by model"
    "margin --period $P --by customer"
    "rates show public"
    "customers list"
    "usage show --customer acme --period $P"
    "rate --customer acme --period $P"
    "credits show acme"
    "invoice show INV-$Y-000001"
    "market show llama-3.3-70b-instruct"
    "quote create --prospect Initech --volume llama-3.3-70b-instruct:input=2e9 --as-of $C-01"
    "quote show $quote"
    "quote list"
    "audit"
    "keys list"
)
# The list above must name every command whose help offers --format (but usage ingest, and
# usage verify: a list of differences, empty when all is well; its formats are checked in 98).
offered=$(python3 - "$tally" <<'EOF'
import re, subprocess, sys
tally = sys.argv[1]
def walk(path):
    text = subprocess.run([tally, *path, "--help"], capture_output=True, text=True).stdout
    found = [" ".join(path)] if re.search(r"--format <", text) else []
    subs = re.search(r"SUBCOMMANDS:\n(.*?)(\n\n|\Z)", text, re.S)
    for line in (subs.group(1).splitlines() if subs else []):
        name = line.split()[0] if line.startswith("  ") and not line.startswith("   ") else None
        if name and name != "help":
            found += walk(path + [name])
    return found
print("\n".join(sorted(set(walk([])))))
EOF
)
missing=""
while read -r c; do
    [ -z "$c" ] || [ "$c" = "usage ingest" ] || [ "$c" = "usage verify" ] || [ "$c" = "invoice export" ] && continue
    # (a here-string, not a pipe: grep -q may exit before printf has written
    # everything, and under pipefail printf's SIGPIPE would read as "missing")
    grep -qE "^$c( |$)" <<<"$(printf '%s\n' "${commands[@]}")" || missing="$missing [$c]"
done <<<"$offered"
[ -n "$offered" ] && [ -z "$missing" ]; check "every command offering --format is covered by the format check${missing:+ (missing:$missing)}" $?

# Prints the values a command's help lists for --format.
format_values() { # command words...
    "$tally" "$@" --help 2>/dev/null | python3 -c '
import re, sys
text = sys.stdin.read()
part = text[text.find("\n  --format <") + 1:]
end = re.search(r"\n  -", part[1:])
part = part[:end.start() + 1] if end else part
m = re.search(r"values: ([a-z, ]+)", " ".join(part.split()))
print(" ".join(re.findall(r"[a-z]+", m.group(1))) if m else "")'
}
# Parses a file as format $1 (table/text: not empty, not JSON; CSV: rectangular, no thousands separators).
parses_as() { # format file
    python3 - "$1" "$2" <<'EOF'
import csv, json, re, sys, xml.dom.minidom
fmt, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
grouped = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
if fmt == "json":
    json.loads(text)
elif fmt == "csv":
    rows = list(csv.reader(text.splitlines()))
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows), "ragged or empty CSV"
    bad = [c for r in rows for c in r if grouped.match(c)]
    assert not bad, f"thousands separators in CSV: {bad[:3]}"
elif fmt == "cii":
    xml.dom.minidom.parseString(text)
elif fmt == "html":
    assert "<html" in text.lower()
else:
    assert text.strip(), "empty output"
    assert not text.lstrip().startswith(("{", "[")), "a table printed as JSON"
EOF
}
for cmd in "${commands[@]}"; do
    name=$(sed -E 's/ (--|[A-Z0-9]).*$//; s/ (public|acme|llama[^ ]*)$//' <<<"$cmd")
    # shellcheck disable=SC2086
    values=$(format_values $cmd)
    [ -n "$values" ]; check "$name: help lists its --format values ($values)" $?
    for f in $values; do
        # shellcheck disable=SC2086
        DATABASE_URL=$url "$tally" $cmd --format $f >"$o/out" 2>"$o/err"; rc=$?
        parses_as "$f" "$o/out"
        check "$name --format $f exits 0 and parses as $f" $(( rc | $? ))
    done
done
values=$(format_values invoice export)
for f in $values; do
    DATABASE_URL=$url "$tally" invoice export --period $P --format $f --out "$o/export-$f" >/dev/null 2>&1; rc=$?
    ok=0
    for file in "$o/export-$f"/*; do parses_as "$f" "$file" || ok=1; done
    [ -n "$(ls "$o/export-$f")" ] || ok=1
    check "invoice export --format $f: every file parses as $f" $(( rc | ok ))
done

# Amounts in JSON are strings with exactly the currency's minor digits (USD: 2).
DATABASE_URL=$url "$tally" quote show $quote --format json | python3 -c '
import json, re, sys
q = json.load(sys.stdin)["quote"]
two = re.compile(r"^-?\d+\.\d\d$")
amounts = [l["price"] for l in q["lines"]] + [l["cost"] for l in q["lines"] if l.get("cost") is not None] \
    + [b["amount"] for l in q["lines"] for b in l["bands"]] + [q["total"]["price"]] + [m["figures"]["price"] for m in q["models"]]
assert amounts and all(isinstance(a, str) and two.match(a) for a in amounts), amounts'
check "quote JSON: every amount a string with 2 decimals (USD)" $?
DATABASE_URL=$url "$tally" credits show acme --format json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert rows and all(r["amount"].count(".") == 1 and len(r["amount"].split(".")[1]) == 2 and "," not in r["amount"] for r in rows)'
check "credits show JSON: amounts as plain strings with 2 decimals" $?
out=$(DATABASE_URL=$url "$tally" usage show --customer acme --period $P); grep -q "2,700,000,000" <<<"$out"; check "usage show table groups thousands" $?
out=$(DATABASE_URL=$url "$tally" rates show public); grep -qE "to [0-9]{1,3}(,[0-9]{3})+" <<<"$out"; check "rates show table groups tier limits" $?

# Errors: a paid invoice cannot be voided: a sentence with the way forward, no SQL, exit 3.
out=$(DATABASE_URL=$url "$tally" invoice void INV-$Y-000001 --reason refund 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "is paid" <<<"$out" && grep -q "credit-note" <<<"$out" && ! grep -qiE "SQLSTATE|violat|DETAIL|constraint" <<<"$out"
check "invoice void of a paid invoice: refused (exit 3), advice to credit, no raw SQL" $?
out=$(DATABASE_URL=$url "$tally" invoice show INV-$Y-999999 --format json 2>/dev/null); rc=$?
[ $rc -eq 2 ] && python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]=="invoice.not_found" and e["message"] and isinstance(e["details"], dict)' <<<"$out"
check "a failing command with --format json prints {error: {code, message, details}} on stdout, exit 2" $?
out=$(DATABASE_URL=$url "$tally" usage show --customer acme --period 2026-13 --format json 2>/dev/null); rc=$?
[ $rc -eq 2 ] && python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]=="time.invalid"' <<<"$out"
check "a bad period: bad input, exit 2, code time.invalid" $?
out=$(DATABASE_URL=$url "$tally" customers list --format yaml 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "format" <<<"$out"; check "an option value not offered: exit 2 naming the option" $?
out=$(DATABASE_URL=$url "$tally" quote show $quote --format json --nonsense 2>/dev/null); rc=$?
[ $rc -eq 2 ] && python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]=="input.usage" and "nonsense" in e["message"]' <<<"$out"
check "an unknown option with --format json: JSON error input.usage, exit 2" $?
printf 'id,name,billing_email,country,vat_id,tax_treatment,currency,card\nnl,Home,a@b.nl,NL,NL1,reverse_charge,USD,\n' >"$o/home.csv"
out=$(DATABASE_URL=$url "$tally" customers import "$o/home.csv" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "home.csv:2: tax_treatment 'reverse_charge': the issuer is in NL too" <<<"$out"
check "a reverse-charge customer in the issuer's country is refused at import (exit 2, file:line)" $?
out=$(DATABASE_URL="postgresql:///nowhere?host=/nonexistent" "$tally" customers list --format json 2>/dev/null); rc=$?
[ $rc -eq 4 ] && python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]=="database.unavailable" and "DATABASE_URL" in e["message"]' <<<"$out"
check "database unavailable: exit 4, code database.unavailable, says what to check" $?
out=$(DATABASE_URL=$url "$tally" --help); grep -q "EXIT STATUS" <<<"$out" && grep -q "4  database unavailable" <<<"$out"
check "tally --help documents the exit statuses" $?

# Project folders: a missing one is named, with how to point elsewhere.
out=$(cd "$o" && DATABASE_URL=$url TALLY_CONFIG="$o/noconfig" "$tally" invoice run --period $P 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "looked for $o/noconfig/issuer.yaml" <<<"$out" && grep -q "TALLY_CONFIG" <<<"$out"
check "a missing config folder: says where it looked and TALLY_CONFIG" $?
out=$(DATABASE_URL=$url TALLY_MIGRATIONS="$o/nomigrations" "$tally" customers list 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "$o/nomigrations" <<<"$out" && grep -q "TALLY_MIGRATIONS" <<<"$out"
check "a missing migrations folder: says where it looked and TALLY_MIGRATIONS" $?
out=$(TALLY_RATES="$o/norates" "$tally" rates check 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "looked for $o/norates" <<<"$out" && grep -q "TALLY_RATES" <<<"$out"
check "a missing rates folder: says where it looked and TALLY_RATES" $?
DATABASE_URL=$url "$tally" customers add --id globex --name Globex --email b@globex.io --country US --currency USD >/dev/null
mkdir -p "$o/empty-rates"
out=$(DATABASE_URL=$url "$tally" quote accept $quote --customer globex --rates "$o/empty-rates" 2>&1); rc=$?
[ $rc -eq 3 ] && grep -q "has no card 'public'" <<<"$out" && [ ! -e "$o/empty-rates/custom" ]
check "quote accept refuses a rates folder without the base card, writes nothing" $?
rm -rf "$o"
