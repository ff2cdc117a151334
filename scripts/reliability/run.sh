#!/usr/bin/env bash
# The reliability suite (issue 17, docs/reliability.md): kills, PostgreSQL
# restarts, read-only storage, races and bad inputs against the real `tally`
# executable on the suite's own throwaway PostgreSQL cluster, which it may
# restart and crash at will. Every part prints figures; the run ends with a
# summary and fails when any part fails.
#
#   scripts/reliability/run.sh --bounded [PARTS…]   inside make test (≤ ~90 s)
#   scripts/reliability/run.sh --full [PARTS…]      make reliability (minutes)
# PARTS: part numbers to run (10 20 …); default all. TALLY: the executable
# (default .build/debug/tally). RELIAB_SEED: the random seed (default: time).
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=bounded
parts=()
for arg in "$@"; do
    case $arg in
        --bounded) mode=bounded ;;
        --full) mode=full ;;
        [0-9]*) parts+=("$arg") ;;
        *) echo "usage: $0 --bounded|--full [PART…]" >&2; exit 2 ;;
    esac
done
tally=$(realpath "${TALLY:-.build/debug/tally}")
[ -x "$tally" ] || { echo "reliability: $tally not built (swift build --product tally)" >&2; exit 2; }

work=$(mktemp -d /tmp/tally-reliab.XXXXXX)
chmod 711 "$work" # the server user (postgres, under root) passes through to the socket
db=$work/db
cleanup() {
    # Every part waits for its own children; stragglers of a failed part die here.
    jobs -p | xargs -r kill -9 2>/dev/null
    "$tally" db stop --dir "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

seed=${RELIAB_SEED:-$(date +%s)}
RANDOM=$seed
export RELIAB_TALLY=$tally RELIAB_DB=$db RELIAB_WORK=$work RELIAB_MODE=$mode RELIAB_FIGURES=$work/figures RELIAB_SEED=$seed
export TALLY_NOW=${TALLY_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
unset DATABASE_URL
: >"$RELIAB_FIGURES"

start=$(date +%s)
"$tally" db start --dir "$db" --throwaway >/dev/null || { echo "reliability: cannot start the cluster" >&2; exit 1; }
# The throwaway cluster skips fsync (the machine does not crash, only
# PostgreSQL) but must not skip synchronous commit: after an immediate
# restart a commit the client saw must still be there. (A role setting: the
# server's command line, which says off, outranks postgresql.auto.conf.)
admin_url=$("$tally" db url --dir "$db" | sed -E 's/user=[^ ]+/user=tally_admin/')
psql "$admin_url" -qAt -v ON_ERROR_STOP=1 -c "ALTER ROLE tally SET synchronous_commit = on" >/dev/null ||
    { echo "reliability: cannot configure the cluster" >&2; exit 1; }

echo "reliability ($mode, seed $seed, clock $TALLY_NOW): $tally"
status=0
failed=()
for script in scripts/reliability/[0-9][0-9]-*.sh; do
    name=$(basename "$script" .sh)
    if [ ${#parts[@]} -gt 0 ] && ! grep -qx "${name%%-*}" <<<"$(printf "%s\n" "${parts[@]}")"; then continue; fi
    part_start=$(date +%s)
    echo "== $name"
    RANDOM=$((seed + ${name%%-*}))
    RELIAB_SEED=$((seed + ${name%%-*})) bash "$script"
    rc=$?
    echo "   ($(($(date +%s) - part_start)) s)"
    if [ $rc -ne 0 ]; then status=1; failed+=("$name"); fi
    # A part that crashed the cluster on its way out leaves it running for the next.
    "$tally" db start --dir "$db" --throwaway >/dev/null 2>&1 || true
done

echo "== summary ($mode, seed $seed, $(($(date +%s) - start)) s)"
awk '{ printf "  %-28s %-28s %s\n", $1, $2, $3 }' "$RELIAB_FIGURES"
if [ $status -ne 0 ]; then echo "reliability: FAILED: ${failed[*]}"; else echo "reliability: all parts passed"; fi
exit $status
