# scripts/citus-distribute.sh (docs/scale-out.md). Citus is not installable
# here, so: its --dry-run SQL, that every table of a migrated database is
# placed by it (a migration adding a table must say where it goes on Citus),
# and its refusals on this plain PostgreSQL.
distribute=$repo/scripts/citus-distribute.sh
out=$(env -u DATABASE_URL "$distribute" --dry-run 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "create_distributed_table('public.usage_events', 'customer_id', colocate_with => 'none')" <<<"$out" \
    && grep -q "create_distributed_table('public.usage_hourly', 'customer_id', colocate_with => 'public.usage_events')" <<<"$out" \
    && grep -q "create_reference_table('public.invoices')" <<<"$out" && grep -q "FROM pg_catalog.pg_dist_partition" <<<"$out"
check "citus-distribute --dry-run: usage tables by customer_id, colocated; connects to nothing (exit 0)" $?
url=$(fresh_db)
out=$(DATABASE_URL=$url "$distribute" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "no Tally migrations are applied in database .*: run tally migrate first" <<<"$out"
check "citus-distribute refuses a database without migrations (exit 1)" $?
DATABASE_URL=$url "$tally" migrate >/dev/null
out=$(DATABASE_URL=$url "$distribute" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "the citus extension is not installed in database" <<<"$out" && ! grep -q "NOTICE" <<<"$out"
check "citus-distribute refuses a database without Citus, before sending any step (exit 1)" $?
placed=$(env -u DATABASE_URL "$distribute" --dry-run | sed -n '/FROM citus_tables WHERE/,$p')
unplaced=""
for t in $(psql "$url" -qAt -c "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1"); do
    grep -q "'$t'" <<<"$placed" || unplaced+=" $t"
done
[ -z "$unplaced" ]
check "citus-distribute places every table of the migrated schema${unplaced:+ (not placed:$unplaced)}" $?
