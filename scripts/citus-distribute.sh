#!/usr/bin/env bash
# Turns a migrated Tally database on a Citus coordinator into Tally's
# distributed layout (docs/scale-out.md says what goes where and why):
#
#   distributed by customer_id, colocated   usage_events (every month partition), usage_hourly
#   reference tables (a copy on every node) settings, fx_rates, tax_rates, closed_periods,
#                                           api_keys, rate_cards, rate_card_versions,
#                                           rate_card_prices, customers, invoices
#   left on the coordinator                 everything else: numbering, credit notes and
#                                           grants, quotes, audit log, supply and cost
#                                           tables, tally_migrations
#
# Run it after `tally migrate`, as the tables' owner (a superuser on most
# clusters), with DATABASE_URL naming the coordinator:
#   DATABASE_URL='host=coord dbname=tally user=postgres' scripts/citus-distribute.sh
#   scripts/citus-distribute.sh --dry-run      # print the SQL, connect to nothing
# CITUS_SHARD_COUNT=N sets the shard count of the usage tables (Citus's
# citus.shard_count otherwise, 32 by default); it only matters the first time.
#
# Idempotent: a table already in pg_dist_partition with the wanted kind is
# skipped, so running it again (after a failure, or after a new migration)
# changes nothing that is done. A table already distributed some other way is
# refused by name, never redistributed.
#
# Transactions. Each step is one transaction: a table is either converted
# with all its rows or left as it was. Not everything in one transaction,
# because Citus does not allow it reliably: making a table a reference table
# while local tables reference it (rate_cards, customers, invoices) turns those
# local tables into Citus local tables, which Citus does with local execution
# only, and a transaction that already used remote execution (copying an
# earlier reference table to the workers) cannot switch to it (see
# CreateCitusTable in Citus's create_distributed_table.c). The two usage
# tables move together, in one transaction, with the database setting their
# triggers need. Re-running after a failed step resumes where it stopped.
#
# Triggers. The usage tables carry the frozen-month guard of migration 0014
# (row triggers reading invoices and closed_periods) and TRUNCATE guards;
# invoices carries its issued-invoice guard. Citus distributes tables with
# triggers only with citus.enable_unsafe_triggers on: set for these steps,
# and for the database, because every new month partition of usage_events
# (ensure_usage_partition, called by the ingester) is distributed with the
# cloned row trigger and would be refused without it. The guard reads
# invoices and closed_periods on the worker that holds the shard: both are
# reference tables, so each worker reads its own copy, and
# usage_billing_month_closed (called from the trigger's body, which Citus
# cannot see as a dependency) is propagated to every node here. TRUNCATE
# guards are dropped before a conversion and created again after it, so that
# Citus keeps them on the coordinator's table (see save_truncate_guards).
set -euo pipefail

prog='citus-distribute'
usage() {
    cat <<'EOF'
Usage: scripts/citus-distribute.sh [--dry-run]
  Distributes a migrated Tally database on a Citus coordinator (DATABASE_URL).
  --dry-run   print the SQL it would run, without connecting
  Environment: DATABASE_URL (required unless --dry-run), CITUS_SHARD_COUNT,
               TALLY_MIGRATIONS (migrations folder, default: the checkout's)
EOF
}

dry_run=false
for arg in "$@"; do
    case $arg in
    --dry-run) dry_run=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$prog: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
migrations=${TALLY_MIGRATIONS:-$repo/migrations}
shard_count=${CITUS_SHARD_COUNT:-}
if [ -n "$shard_count" ] && ! [[ $shard_count =~ ^[1-9][0-9]{0,4}$ ]]; then
    echo "$prog: CITUS_SHARD_COUNT='$shard_count' is not a shard count (a whole number from 1)" >&2
    exit 2
fi

# Every table the migrations create is named in exactly one list (the smoke
# check scripts/smoke/99-citus-distribute.sh fails when a migration adds a
# table that is in none). Reference tables are listed referenced-first: a
# reference table may reference only reference tables.
DISTRIBUTED=(usage_events usage_hourly)
REFERENCE=(settings fx_rates tax_rates closed_periods archived_usage_months api_keys rate_cards rate_card_versions rate_card_prices customers invoices)
COORDINATOR=(tally_migrations sites gpu_types reserved_contracts capacity_purchases allocations allocation_days
    model_compute_weights market_prices credit_grants invoice_credits credit_notes credit_note_lines credit_note_taxes
    document_sequences quotes audit_log)
# Functions the shards' triggers call by name from their bodies.
SHARD_FUNCTIONS=('public.usage_billing_month_closed(text,date)')

# PL/pgSQL around a conversion: the table's TRUNCATE triggers (statement
# level: Tally's guards) are saved, dropped, and created again once the table
# is a Citus table. Citus keeps a TRUNCATE trigger created on a Citus table on
# the coordinator's table only (its trigger code makes no shard task for
# one); one that exists when the table is converted could be copied to the
# shards and fire on the workers as Citus truncates them, reading the table
# back from there. Only row triggers go to the shards.
save_truncate_guards() { # table
    cat <<EOF
        SELECT array_agg(pg_catalog.pg_get_triggerdef(t.oid) ORDER BY t.tgname) INTO truncate_guards
          FROM pg_catalog.pg_trigger t
         WHERE t.tgrelid = 'public.$1'::regclass AND NOT t.tgisinternal AND (t.tgtype & 32) <> 0;
        FOR guard IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                      WHERE t.tgrelid = 'public.$1'::regclass AND NOT t.tgisinternal AND (t.tgtype & 32) <> 0
                      ORDER BY t.tgname LOOP
            EXECUTE format('DROP TRIGGER %I ON public.$1', guard.tgname);
        END LOOP;
EOF
}
restore_truncate_guards() {
    cat <<'EOF'
        FOREACH definition IN ARRAY coalesce(truncate_guards, '{}') LOOP
            EXECUTE definition;
        END LOOP;
EOF
}

# One reference table, in its own transaction.
reference_sql() { # table
    cat <<EOF
-- $1: a reference table (one shard, a copy on every node, writes by two-phase commit).
BEGIN;
SET LOCAL citus.enable_unsafe_triggers TO on;
DO \$step\$
DECLARE
    kind text;
    truncate_guards text[];
    guard record;
    definition text;
BEGIN
    SELECT CASE WHEN partmethod = 'n' AND repmodel = 't' THEN 'reference'
                WHEN partmethod = 'n' THEN 'local'
                ELSE 'distributed' END
      INTO kind FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.$1'::regclass;
    IF kind = 'reference' THEN
        RAISE NOTICE '$1: already a reference table, skipped';
    ELSIF kind = 'distributed' THEN
        RAISE EXCEPTION '$1 is a distributed table: Tally keeps it as a reference table'
            USING HINT = 'undistribute it (SELECT undistribute_table(''public.$1'')) and run scripts/citus-distribute.sh again';
    ELSE
        -- A plain table, or a Citus local table (made one when a table it
        -- references became a reference table): both become reference tables.
$(save_truncate_guards "$1")
        PERFORM create_reference_table('public.$1');
$(restore_truncate_guards)
        RAISE NOTICE '$1: now a reference table';
    END IF;
END
\$step\$;
COMMIT;

EOF
}

# Functions the shards' triggers call by name, on every node. After the
# reference tables: the body of usage_billing_month_closed reads invoices and
# closed_periods, which must exist on the workers when it is created there.
functions_sql() {
    cat <<'EOF'
-- Step 2: functions the shards' triggers call by name. Citus propagates a
-- trigger's own function with the trigger, not the functions its body calls.
EOF
    local fn
    for fn in "${SHARD_FUNCTIONS[@]}"; do
        cat <<EOF
BEGIN;
DO \$step\$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object
               WHERE classid = 'pg_catalog.pg_proc'::regclass AND objid = '$fn'::regprocedure) THEN
        RAISE NOTICE 'function $fn: already on every node, skipped';
    ELSE
        PERFORM create_distributed_function('$fn');
        RAISE NOTICE 'function $fn: now on every node';
    END IF;
END
\$step\$;
COMMIT;

EOF
    done
}

emit_sql() {
    cat <<'EOF'
-- scripts/citus-distribute.sh: Tally's distributed layout (docs/scale-out.md).
-- Run by: psql "$DATABASE_URL" -X -v ON_ERROR_STOP=1 -f -
\set ON_ERROR_STOP on

-- Refuse early, with a reason, if this is not a migrated Tally database on a
-- Citus coordinator (the script checks the same before sending anything).
DO $check$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not installed in database %', current_database()
            USING HINT = 'run this on a Citus coordinator, after CREATE EXTENSION citus';
    END IF;
    IF to_regclass('public.tally_migrations') IS NULL OR to_regclass('public.usage_events') IS NULL THEN
        RAISE EXCEPTION 'database % holds no migrated Tally schema', current_database()
            USING HINT = 'run tally migrate first';
    END IF;
END
$check$;

EOF
    echo "-- Step 1: reference tables, referenced first, one transaction each."
    local table
    for table in "${REFERENCE[@]}"; do reference_sql "$table"; done
    functions_sql
    cat <<EOF
-- Step 3: the usage tables, distributed by customer_id and colocated (a
-- customer's events and rollup rows live in the same shard), in one
-- transaction. usage_events is partitioned by month: its partitions are
-- distributed with it, and later ones (ensure_usage_partition) as they are made.
BEGIN;
SET LOCAL citus.enable_unsafe_triggers TO on;
EOF
    if [ -n "$shard_count" ]; then echo "SET LOCAL citus.shard_count TO $shard_count;"; fi
    cat <<'EOF'
-- Citus requires the distribution column in every unique key; say which one
-- misses it (a migration that broke the rule) before Citus refuses it.
DO $step$
DECLARE
    bad record;
BEGIN
    FOR bad IN
        SELECT c.relname AS tab, i.relname AS idx
        FROM pg_catalog.pg_index x
        JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
        JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname IN ('usage_events', 'usage_hourly') AND x.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND a.attnum = ANY (x.indkey))
        ORDER BY 1, 2
    LOOP
        RAISE EXCEPTION 'unique index % on % does not hold customer_id: Citus cannot enforce it across shards', bad.idx, bad.tab
            USING HINT = 'a new migration must add customer_id to that key (docs/scale-out.md)';
    END LOOP;
END
$step$;
EOF
    local colocate=none
    for table in "${DISTRIBUTED[@]}"; do
        cat <<EOF
DO \$step\$
DECLARE
    kind text;
    dist_column text;
    group_id integer;
    truncate_guards text[];
    guard record;
    definition text;
BEGIN
    SELECT CASE WHEN partmethod = 'h' THEN 'hash' WHEN partmethod = 'n' AND repmodel = 't' THEN 'reference'
                WHEN partmethod = 'n' THEN 'local' ELSE 'other' END,
           CASE WHEN partmethod = 'h' THEN pg_catalog.column_to_column_name(logicalrelid, partkey) END,
           colocationid
      INTO kind, dist_column, group_id
      FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'public.$table'::regclass;
    IF kind = 'hash' AND dist_column = 'customer_id' THEN
EOF
        if [ "$colocate" = none ]; then
            cat <<EOF
        RAISE NOTICE '$table: already distributed by customer_id, skipped';
EOF
        else
            cat <<EOF
        IF group_id IS DISTINCT FROM (SELECT colocationid FROM pg_catalog.pg_dist_partition
                                      WHERE logicalrelid = 'public.$colocate'::regclass) THEN
            RAISE EXCEPTION '$table is distributed by customer_id but not colocated with $colocate'
                USING HINT = 'SELECT update_distributed_table_colocation(''public.$table'', colocate_with => ''public.$colocate'')';
        END IF;
        RAISE NOTICE '$table: already distributed by customer_id, colocated with $colocate, skipped';
EOF
        fi
        cat <<EOF
    ELSIF kind = 'local' OR kind IS NULL THEN
$(save_truncate_guards "$table")
        PERFORM create_distributed_table('public.$table', 'customer_id', colocate_with => '$([ "$colocate" = none ] && echo none || echo "public.$colocate")');
$(restore_truncate_guards)
        RAISE NOTICE '$table: now distributed by customer_id';
    ELSE
        RAISE EXCEPTION '$table is already a Citus table of another kind (%, column %): Tally distributes it by customer_id', kind, dist_column
            USING HINT = 'undistribute it (SELECT undistribute_table(''public.$table'')) and run scripts/citus-distribute.sh again';
    END IF;
END
\$step\$;
EOF
        [ "$colocate" = none ] && colocate=$table
    done
    cat <<'EOF'
-- New sessions (the ingester making next month's partition) need the setting
-- too: the partition is distributed with the frozen-month row trigger.
DO $step$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET citus.enable_unsafe_triggers TO on', current_database());
    RAISE NOTICE 'database %: citus.enable_unsafe_triggers on for new sessions', current_database();
END
$step$;
COMMIT;

-- What is where now (the tables this script does not convert stay plain
-- coordinator tables, or Citus local tables when they reference a reference table).
SELECT table_name, citus_table_type, distribution_column, colocation_id, shard_count
FROM citus_tables WHERE table_name::text IN (
EOF
    local all=("${DISTRIBUTED[@]}" "${REFERENCE[@]}" "${COORDINATOR[@]}") list="" t
    for t in "${all[@]}"; do list+="${list:+, }'$t'"; done
    echo "    $list)"
    echo "ORDER BY 1::text;"
}

if $dry_run; then
    emit_sql
    exit 0
fi

refuse() { echo "$prog: $1" >&2; exit 1; }
[ -n "${DATABASE_URL:-}" ] || refuse "DATABASE_URL must name the Citus coordinator (or use --dry-run)"
q() { psql "$DATABASE_URL" -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

q "SELECT 1" >/dev/null 2>&1 || refuse "cannot connect to the database named by DATABASE_URL (psql failed)"
db=$(q "SELECT current_database()")
# The schema first, then Citus: each refusal says what to do.
[ "$(q "SELECT to_regclass('public.tally_migrations') IS NOT NULL")" = t ] \
    || refuse "no Tally migrations are applied in database $db: run tally migrate first"
applied=$(q "SELECT version FROM tally_migrations ORDER BY version")
missing=()
for file in "$migrations"/[0-9][0-9][0-9][0-9]_*.sql; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    version=$((10#${name%%_*}))
    grep -qx "$version" <<<"$applied" || missing+=("$name")
done
[ ${#missing[@]} -eq 0 ] || refuse "migrations not applied in database $db: ${missing[*]}: run tally migrate first"
citus=$(q "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'citus'")
[ -n "$citus" ] || refuse "the citus extension is not installed in database $db: run this on a Citus coordinator, after CREATE EXTENSION citus (docs/scale-out.md)"
[ "$(q "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node WHERE groupid = 0)")" = t ] \
    || refuse "the coordinator is not in the Citus metadata: Tally's coordinator tables that reference reference tables become Citus local tables, which need it. Run SELECT citus_set_coordinator_host('<coordinator host as the workers reach it>', <port>); then this again"
workers=$(q "SELECT count(*) FROM pg_catalog.pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' AND isactive")
echo "$prog: citus $citus, $workers active worker(s)" >&2
[ "$workers" -gt 0 ] || echo "$prog: warning: no worker yet; the shards stay on the coordinator until workers are added and rebalanced (docs/scale-out.md)" >&2

emit_sql | psql "$DATABASE_URL" -X -v ON_ERROR_STOP=1 -q -f -
echo "$prog: done" >&2
