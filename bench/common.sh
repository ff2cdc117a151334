# Shared by the benchmark scripts: a release build and a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-packages.sh
swift build -c release --product tally >&2
tally=$PWD/.build/release/tally
source scripts/throwaway-db.sh
start_throwaway_db "$tally"
work=$throwaway_dir

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

# Runs two commands alternately RUNS times (default 7): "median min" of the
# first, then of the second, in milliseconds. The first command is one word
# (a function or program); the rest of the arguments are the second command.
measure_pair() {
    local runs=${RUNS:-7} first=$1 a=() b=()
    shift
    for _ in $(seq "$runs"); do
        local start
        start=$(date +%s%N); "$first" >/dev/null; a+=($(( ($(date +%s%N) - start) / 1000000 )))
        start=$(date +%s%N); "$@" >/dev/null; b+=($(( ($(date +%s%N) - start) / 1000000 )))
    done
    local sa sb mid=$(( (runs + 1) / 2 ))
    sa=$(printf '%s\n' "${a[@]}" | sort -n)
    sb=$(printf '%s\n' "${b[@]}" | sort -n)
    echo "$(sed -n "${mid}p" <<<"$sa") $(head -1 <<<"$sa") $(sed -n "${mid}p" <<<"$sb") $(head -1 <<<"$sb")"
}

# The benchmark customers: cust-1 … cust-200 on the public card, as a CSV
# file for `tally customers import` (written once into $work).
bench_customers() {
    [ -f "$work/customers.csv" ] || {
        echo "id,name,billing_email,country,vat_id,tax_treatment,currency,card"
        for i in $(seq 1 200); do echo "cust-$i,Customer $i,billing@cust-$i.example,US,,standard,USD,public"; done
    } >"$work/customers.csv"
    echo "$work/customers.csv"
}

# Waits until the `tally serve --port 0` writing LOG answers /readyz; sets
# $port (exits with the log if it does not start).
wait_for_serve() { # LOG
    port=
    for _ in $(seq 100); do
        port=$(grep -o 'listening on [^ ]*:[0-9]*' "$1" | grep -o '[0-9]*$' || true)
        [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
        sleep 0.2
    done
    echo "tally serve did not start:" >&2
    cat "$1" >&2
    exit 1
}
