# Sourced by scripts/test.sh and bench/common.sh: starts a throwaway PostgreSQL
# (no fsync) in a temporary folder with `tally db start`, exports DATABASE_URL,
# and stops and deletes it on exit, whether the caller succeeds or fails.
# Usage: start_throwaway_db PATH_TO_TALLY   (sets $throwaway_dir)
start_throwaway_db() {
    throwaway_tally=$1
    throwaway_dir=$(mktemp -d /tmp/tally-db.XXXXXX)
    chmod 711 "$throwaway_dir" # the server user (postgres, under root) passes through, lists nothing
    trap stop_throwaway_db EXIT INT TERM
    "$throwaway_tally" db start --dir "$throwaway_dir/db" --throwaway >&2
    export DATABASE_URL
    DATABASE_URL=$("$throwaway_tally" db url --dir "$throwaway_dir/db")
}

stop_throwaway_db() {
    "$throwaway_tally" db stop --dir "$throwaway_dir/db" >/dev/null 2>&1 || true
    rm -rf "$throwaway_dir"
}
