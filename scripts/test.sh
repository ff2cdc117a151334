#!/usr/bin/env bash
# `make test`: build, start a throwaway PostgreSQL in a temporary folder, run
# every test against it, and stop it again, even when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-packages.sh
swift build --product tally

tally=.build/debug/tally
cluster=$(mktemp -d /tmp/tally-test.XXXXXX)
chmod 755 "$cluster"
stop_cluster() {
    "$tally" db stop --dir "$cluster" >/dev/null 2>&1 || true
    rm -rf "$cluster"
}
trap stop_cluster EXIT INT TERM

"$tally" db start --dir "$cluster" --throwaway
export DATABASE_URL
DATABASE_URL=$("$tally" db url --dir "$cluster")

swift test
scripts/cli-smoke.sh "$tally"
