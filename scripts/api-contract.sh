#!/usr/bin/env bash
# The API contract check (issue 15): starts the real `tally serve` on a
# throwaway database seeded with a small demo month, and runs schemathesis
# against its /openapi.json: every operation, bounded examples, no 5xx, every
# response's status, content type and body as documented.
#
#   scripts/api-contract.sh [PATH_TO_TALLY]     (default: .build/debug/tally)
#
# The clock is pinned (TALLY_NOW) so the seeded month, the invoice numbers and
# the document's examples (INV-2026-000001, blue-voice-3, …) are the same on
# every run whatever today is. Quote acceptance writes a card file: the rates
# folder is a temporary copy, so the repository's rates/ never changes.
# The server and the database are stopped on exit, whether the run passes or not.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

tally=${1:-.build/debug/tally}
tally=$(cd "$(dirname "$tally")" && pwd)/$(basename "$tally")
schemathesis_version=4.32.5
max_examples=${API_CONTRACT_EXAMPLES:-6}

venv=.build/python-venv
if [ ! -x "$venv/bin/schemathesis" ] || [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $schemathesis_version" ]; then
    scripts/install-python-tools.sh # the venv (and python3-venv where missing)
    echo "installing into $venv: schemathesis==$schemathesis_version" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

export TALLY_NOW=2026-12-03T09:00:00Z
work=$(mktemp -d /tmp/tally-contract.XXXXXX)
cp -R rates "$work/rates"
export TALLY_RATES=$work/rates

source scripts/throwaway-db.sh
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    stop_throwaway_db
    rm -rf "$work"
}
start_throwaway_db "$tally"
trap cleanup EXIT INT TERM

"$tally" demo --sites 3 --customers 12 --events 5000 --out "$work/demo" >"$work/demo.log" 2>&1 ||
    { cat "$work/demo.log" >&2; exit 1; }
# A credit note, so GET /v1/credit-notes/{number}'s example (CN-2026-000001) exists.
"$tally" invoice void INV-2026-000012 --reason "contract check" >/dev/null
key=$("$tally" keys create --name contract --role admin | tail -n 1)

"$tally" serve --host 127.0.0.1 --port 0 >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
base=
for _ in $(seq 1 150); do
    if [ -z "$base" ] && grep -q 'listening on' "$work/serve.log"; then
        base="http://$(grep -m1 -o 'listening on [^ ]*' "$work/serve.log" | sed 's/listening on //')"
    fi
    [ -n "$base" ] && curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; echo "tally serve exited before it was ready" >&2; exit 1; }
    sleep 0.1
done
[ -n "$base" ] && curl -fsS "$base/readyz" >/dev/null || { cat "$work/serve.log" >&2; echo "tally serve not ready after 15 s" >&2; exit 1; }

start=$(date +%s)
set +e
# API_CONTRACT_SCHEMA=FILE checks the server against another document (to see that a wrong schema fails).
location=$base/openapi.json
[ -n "${API_CONTRACT_SCHEMA:-}" ] && location="$(cd "$(dirname "$API_CONTRACT_SCHEMA")" && pwd)/$(basename "$API_CONTRACT_SCHEMA") --url $base"
# shellcheck disable=SC2086 # $location is a location and, for a file, its --url
(cd "$work" && "$root/$venv/bin/schemathesis" --no-color run $location \
    --header "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --workers 1 --max-examples "$max_examples" --seed 15 --phases examples,coverage,fuzzing \
    --suppress-health-check all --request-timeout 30 --generation-database none \
    --report ndjson --report-ndjson-path "$work/events.ndjson") >"$work/schemathesis.log" 2>&1
rc=$?
set -e
seconds=$(( $(date +%s) - start ))
if [ "$rc" -ne 0 ] || [ -n "${API_CONTRACT_VERBOSE:-}" ]; then
    cat "$work/schemathesis.log"
fi
if [ "$rc" -ne 0 ] && grep -q -E 'panic|Fatal error' "$work/serve.log"; then
    echo "--- server log:" >&2
    tail -n 40 "$work/serve.log" >&2
fi
# schemathesis closes with "Test cases:" and, on the next line, "970 generated, 970 passed".
cases=$(grep -A1 -E '^ *Test cases:' "$work/schemathesis.log" | tail -n 1 | sed -E 's/^ *//')
operations=$(grep -E '^ *Tested: *[0-9]+' "$work/schemathesis.log" | tail -n 1 | sed -E 's/^ *Tested: *//')
echo "api contract: ${operations:-?} operations tested; test cases: ${cases:-?}; ${seconds} s; schemathesis exit $rc"
exit "$rc"
