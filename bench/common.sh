# Shared by the benchmark scripts: a release build and a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-packages.sh
swift build -c release --product tally >&2
tally=$PWD/.build/release/tally
work=$(mktemp -d /tmp/tally-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    "$tally" db stop --dir "$work/db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$tally" db start --dir "$work/db" --throwaway >&2
export DATABASE_URL
DATABASE_URL=$("$tally" db url --dir "$work/db")

# Runs a command RUNS times (default 7) and prints "median min" in milliseconds.
measure() {
    local runs=${RUNS:-7} times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000000 )))
    done
    local sorted
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    echo "$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p") $(echo "$sorted" | head -1)"
}
