# Sourced by scripts/reliability/run.sh and by every part (NN-*.sh): the
# suite's throwaway cluster, fresh databases, figures and checks.
#
# A part runs as `bash NN-name.sh` with these in its environment (run.sh
# exports them): RELIAB_TALLY (the executable), RELIAB_DB (the cluster folder),
# RELIAB_WORK (a scratch folder of its own), RELIAB_MODE (bounded or full),
# RELIAB_FIGURES (the file figures are appended to), TALLY_NOW.
set -uo pipefail # no -e: a part records its own failures and goes on
tally=${RELIAB_TALLY:?run parts through scripts/reliability/run.sh}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
part=$(basename "$0" .sh)
work=$RELIAB_WORK/$part
mkdir -p "$work"
failures=0

# Sizes: bounded (inside make test) or full (make reliability).
size() { # bounded-value full-value
    if [ "$RELIAB_MODE" = full ]; then echo "$2"; else echo "$1"; fi
}

base_url=$("$tally" db url --dir "$RELIAB_DB")
admin_url=$(sed -E 's/user=[^ ]+/user=tally_admin/' <<<"$base_url")
url_of() { sed -E "s/dbname=[^ ]+/dbname=$1/" <<<"$base_url"; } # database name -> URL

fresh_db() { # name -> prints the URL of a new, empty, migrated database
    psql "$base_url" -qAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null || exit 1
    local url; url=$(url_of "$1")
    DATABASE_URL=$url "$tally" migrate >/dev/null || exit 1
    echo "$url"
}

q() { # url, sql -> one value per line, unaligned
    psql "$1" -qAt -v ON_ERROR_STOP=1 -c "$2"
}

figure() { # name value: one figure of this part, kept for the report
    echo "  $part: $1 = $2"
    echo "$part $1 $2" >>"$RELIAB_FIGURES"
}

check() { # status, description (status first: expanded before the description's $(…))
    if [ "$1" -eq 0 ]; then echo "  ok   $2"; else echo "  FAIL $2"; failures=$((failures + 1)); fi
}

finish() { # last line of every part
    figure failures "$failures"
    [ "$failures" -eq 0 ]
    exit $?
}

# Restarts the suite's cluster: fast (clean shutdown: sessions get 57P01) or
# immediate (a crash: no shutdown, WAL recovery on start).
pg_restart() { # fast|immediate
    local data=$RELIAB_DB/data
    /usr/sbin/runuser -u postgres -- "$(pg_tool pg_ctl)" -D "$data" -l "$RELIAB_DB/postgres.log" -m "$1" -w -t 60 restart >/dev/null 2>&1 ||
        { echo "  pg_ctl restart -m $1 failed" >&2; return 1; }
}
pg_tool() { ls /usr/lib/postgresql/*/bin/"$1" | sort -V | tail -1; }

# Kills a running command with SIGKILL after a random delay in [min, max)
# milliseconds; status 0 when it was killed, 1 when it had already ended.
kill_after_random() { # pid min_ms max_ms
    local ms
    ms=$(($2 + (RANDOM * 32768 + RANDOM) % ($3 - $2)))
    sleep "$(awk "BEGIN { print $ms / 1000 }")"
    if kill -0 "$1" 2>/dev/null; then kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; fi
    wait "$1" 2>/dev/null
    return 1
}

# Month P: the last whole month before the clock (TALLY_NOW), like the smoke.
now_epoch=$(date -u -d "$TALLY_NOW" +%s)
c_first=$(date -u -d "$(date -u -d "@$now_epoch" +%Y-%m)-01" +%s)
P_LAST=$(date -u -d "@$((c_first - 86400))" +%F)
P=${P_LAST:0:7}
C=$(date -u -d "@$now_epoch" +%Y-%m)
Y=${C:0:4}
N=$(date -u -d "$C-01 +1 month" +%Y-%m) # the month after the clock's

# Customers cust-1..N priced by the shipped public card, in one statement.
add_customers() { # url count
    q "$1" "INSERT INTO customers (id, name, billing_email, country, vat_id, tax_treatment, currency, card_id)
        SELECT 'cust-' || i, 'Customer ' || i, 'billing@cust-' || i || '.example', 'US', NULL, 'standard', 'USD', 'public'
        FROM generate_series(1, $2) i" >/dev/null
}

# A database with the shipped cards and N customers.
setup_db() { # name customers -> URL
    local url; url=$(fresh_db "$1")
    DATABASE_URL=$url "$tally" rates load "$repo/rates" >/dev/null || exit 1
    add_customers "$url" "$2"
    echo "$url"
}

# The stored usage as text, sorted: events, then the rollup by customer, model,
# hour, tag (key) and billing month. Two databases hold the same usage when
# these are byte-equal.
usage_fingerprint() { # url
    q "$1" "SELECT 'events', count(*), count(DISTINCT (month, customer_id, event_id)), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens)
        FROM usage_events"
    q "$1" "SELECT 'event', customer_id, model, date_trunc('hour', occurred_at), tag, late, count(*),
               sum(input_tokens), sum(cached_input_tokens), sum(output_tokens)
        FROM usage_events GROUP BY 2, 3, 4, 5, 6 ORDER BY 2, 3, 4, 5, 6"
    q "$1" "SELECT 'hourly', (h.*)::text FROM usage_hourly h ORDER BY (h.*)::text"
}

# Invoices and their numbering, without build times.
invoices_fingerprint() { # url
    q "$1" "SELECT customer_id, period, status, number, currency, issue_date, due_date, paid_on, lines::text, taxes::text, tag_usage::text,
               subtotal, credits_total, tax_total, total FROM invoices ORDER BY customer_id, period"
    q "$1" "SELECT kind, year, last_number, last_issue_date FROM document_sequences ORDER BY 1, 2"
}

# Quotes as accepted, the customers' cards and the cards' prices.
quotes_fingerprint() { # url
    q "$1" "SELECT id, status_of_quote, accepted_customer_id, accepted_card_id, accepted_effective_from FROM
            (SELECT *, CASE WHEN accepted_at IS NULL THEN 'open' ELSE 'accepted' END AS status_of_quote FROM quotes) s ORDER BY id"
    q "$1" "SELECT id, card_id FROM customers ORDER BY id"
    q "$1" "SELECT (p.*)::text FROM rate_card_prices p ORDER BY (p.*)::text"
}

# Holds an exclusive lock on a table in a session of its own until killed, so
# that a command touching the table waits in the middle of its work.
hold_lock() { # url table -> sets $blocker (the psql pid)
    psql "$1" -qAt -c "BEGIN" -c "LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
    blocker=$!
    local i
    for i in $(seq 100); do
        [ "$(q "$1" "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND relation = '$2'::regclass AND granted AND mode = 'AccessExclusiveLock'")" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# Waits until some session waits for a lock (the command reached the table).
wait_for_waiter() { # url pid-of-command
    local i
    for i in $(seq 300); do
        [ "$(q "$1" "SELECT count(*) FROM pg_locks WHERE NOT granted")" -gt 0 ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
