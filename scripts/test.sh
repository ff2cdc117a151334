#!/usr/bin/env bash
# `make test`: build, start a throwaway PostgreSQL in a temporary folder, run
# every test against it, and stop it again, even when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-packages.sh
scripts/install-python-tools.sh
swift build --product tally
source scripts/throwaway-db.sh
start_throwaway_db .build/debug/tally

swift test
scripts/cli-smoke.sh .build/debug/tally
