# The README's "Running the service" block, run as printed after a (small)
# demo: every curl answers what the README says. Only the binary's path
# (.build/release/tally: this suite's $tally), the port (8080: a free one)
# and `date` are adapted: `date` without a date of its own answers for the
# suite's clock, which the demo and the server are given too (TALLY_NOW), so
# the block's dates and theirs agree, under clock travel as at the real time.
url=$(fresh_db)
r=$(mktemp -d)
(cd "$repo" && DATABASE_URL=$url TALLY_NOW=$now "$tally" demo --sites 3 --customers 12 --events 5000 --out "$r/demo" >/dev/null 2>&1)
check "README serve block: the demo it starts from ran" $?
readme_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$r/bin"
real_date=$(command -v date)
cat >"$r/bin/date" <<SHIM
#!/usr/bin/env bash
for a in "\$@"; do case \$a in -d|-d*|--date*) exec "$real_date" "\$@";; esac; done
exec "$real_date" -d "$now" "\$@"
SHIM
chmod +x "$r/bin/date"
awk '/^## Running the service/{f=1} f&&/^```sh/{g=1;next} g&&/^```/{exit} g' "$repo/README.md" \
    | sed -e "s|\.build/release/tally|\"$tally\"|g" -e "s|8080|$readme_port|g" >"$r/block.sh"
echo 'wait %1' >>"$r/block.sh"  # the block's status: the server's, after its SIGTERM
[ "$(wc -l <"$r/block.sh")" -gt 10 ]; check "README serve block found ($(wc -l <"$r/block.sh") lines)" $?
(cd "$repo" && DATABASE_URL=$url TALLY_NOW=$now PATH="$r/bin:$PATH" timeout 120 bash "$r/block.sh" >"$r/out" 2>"$r/err")
check "README serve block runs to its end, and the server exits 0 on its kill %1" $?
out=$(cat "$r/out")
grep -q '^{"status":"ok"}$' <<<"$out" && grep -q '"status":"ready"' <<<"$out"; check "README: healthz and readyz" $?
grep -q '"number":"INV-'"$Y"'-000001"' <<<"$out"; check "README: invoices of the demo's month listed" $?
grep -q '<rsm:CrossIndustryInvoice' <<<"$out"; check "README: an invoice as CII XML" $?
grep -q '^{"accepted":1,"duplicate":0,"rejected":0,"rejects":\[\]}$' <<<"$out"; check "README: an event ingested over HTTP" $?
grep -q '^tally_usage_events_total{result="accepted"} 1$' <<<"$out"; check "README: the metrics count it" $?
grep -qE '"number": ?"CN-'"$Y"'-[0-9]{6}"' <<<"$out"; check "README: an invoice voided by a credit note" $?
grep -qE '"id" ?: ?"Q-'"$Y"'-[0-9]{6}"' <<<"$out"; check "README: a quote" $?
grep -q '"code":"auth.unauthorized"' <<<"$out"; check "README: no key, a 401 problem" $?
grep -q "listening on 127.0.0.1:$readme_port" "$r/err" && ! grep -qE '^[^ ]+ (error|critical) |Fatal error' "$r/err"
check "README: the server listened where the block says and logged no error" $?
[ -n "${KEEP_README_RUN:-}" ] && cp -r "$r" "$KEEP_README_RUN"; rm -rf "$r"
