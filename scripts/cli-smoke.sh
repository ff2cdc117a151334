#!/usr/bin/env bash
# End-to-end checks of the `tally` executable against $DATABASE_URL, each
# group (scripts/smoke/*.sh, run in name order) in fresh databases.
#
# Every date is computed from the clock: TALLY_NOW when it is set (clock
# travel), else the real time. No check may name a calendar date.
#   P        the last whole month before today (what a monthly biller closes)
#   C        the month of today; TODAY, TOMORROW; Y the year of today
# Usage: scripts/cli-smoke.sh [PATH_TO_TALLY]
set -uo pipefail  # no -e: each check records its own result
tally=$(realpath "${1:-.build/debug/tally}")
repo=$(cd "$(dirname "$0")/.." && pwd)
base_url=${DATABASE_URL:?DATABASE_URL must be set}
passed=0
failed=0
check() { # name, condition-status
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
fresh_db() { # prints a DATABASE_URL for a new, empty database
    local name="smoke_$RANDOM$RANDOM"
    psql "$base_url" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null || exit 1
    echo "$base_url" | sed -E "s/dbname=[^ ]+/dbname=$name/"
}

now=${TALLY_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
epoch=$(date -u -d "$now" +%s) || { echo "smoke: TALLY_NOW='$now' is not a date" >&2; exit 2; }
day() { date -u -d "@$1" +%F; } # epoch seconds -> YYYY-MM-DD
TODAY=$(day "$epoch")
TOMORROW=$(day $((epoch + 86400)))
Y=${TODAY:0:4}
C=${TODAY:0:7}
c_first=$(date -u -d "$C-01" +%s)
P_LAST=$(day $((c_first - 86400)))
P=${P_LAST:0:7}
EXPIRES=$(day $((epoch + 120 * 86400)))
NEXT_HOUR=$(date -u -d "@$(((epoch / 3600 + 1) * 3600))" +%Y-%m-%dT%H:%M:%SZ)
# A quote as of the first of this month is costed on the 30 days before it.
QA=$(day $((c_first - 30 * 86400)))
QB=$P_LAST
echo "smoke: clock $now${TALLY_NOW:+ (TALLY_NOW)}: today $TODAY, period $P"

for part in "$repo"/scripts/smoke/*.sh; do
    # shellcheck source=/dev/null
    source "$part"
done

echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
