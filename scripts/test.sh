#!/usr/bin/env bash
# `make test`: build, start a throwaway PostgreSQL in a temporary folder, run
# every test against it, and stop it again, even when tests fail.
#
# Clock travel: the whole suite runs at the real time, then again with the
# clock set (TALLY_NOW) to a year end, where numbering rolls to a new year,
# and to a leap day. A test that depends on today's date fails here the day
# it is written, not the day its date comes.
set -euo pipefail
cd "$(dirname "$0")/.."

travelled_dates=(2029-12-31T23:30:00Z 2028-02-29T12:00:00Z)

scripts/install-packages.sh
scripts/install-python-tools.sh
swift build --product tally
swift build --build-tests
source scripts/throwaway-db.sh
start_throwaway_db .build/debug/tally

status=0
run() { # label, command...: runs every step even when one fails
    local label=$1; shift
    echo "== $label" >&2
    "$@" || { echo "FAILED: $label" >&2; status=1; }
}
unset TALLY_NOW
run "swift test (real clock)" swift test --skip-build
run "smoke (real clock)" scripts/cli-smoke.sh .build/debug/tally
# The API contract (schemathesis against the real server, its own pinned
# clock and database): once, not per travelled date.
run "api contract" scripts/api-contract.sh .build/debug/tally
# Kills, restarts, races and bad inputs on the suite's own cluster (~90 s);
# the full sizes run with `make reliability` (docs/reliability.md).
run "reliability (bounded)" scripts/reliability/run.sh --bounded
# Coverage-guided fuzzing of every parser a user can feed, a few seconds per
# target (make fuzz runs longer): its own sanitizer build in .build-fuzz.
run "fuzz (bounded)" env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" fuzz/run.sh
for now in "${travelled_dates[@]}"; do
    run "swift test (TALLY_NOW=$now)" env TALLY_NOW="$now" swift test --skip-build
    run "smoke (TALLY_NOW=$now)" env TALLY_NOW="$now" scripts/cli-smoke.sh .build/debug/tally
done
exit $status
