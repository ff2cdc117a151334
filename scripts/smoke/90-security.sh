# Security: no password in any message; the local cluster never takes over a folder.
secret_dir=$(mktemp -d)
printf '%s\n' '{"id":"1","customer":"acme","model":"m","timestamp":"'"$P"'-03T10:00:00Z","input_tokens":1,"output_tokens":1,"site":"s"}' >"$secret_dir/events.ndjson"
for command in "migrate" "usage ingest" "invoice check" "customers list"; do
    args=()
    [ "$command" = "usage ingest" ] && args=("$secret_dir/events.ndjson")
    # shellcheck disable=SC2086 # the command's words
    out=$(DATABASE_URL='postgresql://u:S3cretPw0rd@[bad' "$tally" $command "${args[@]}" 2>&1); rc=$?
    [ $rc -ne 0 ] && ! grep -q "S3cret" <<<"$out" && grep -q 'postgresql://u:\*\*\*@\[bad' <<<"$out"
    check "$command with a bad DATABASE_URL: refused, password masked" $?
done
out=$(DATABASE_URL='host=/nonexistent user=u password=my S3cretPw0rd' "$tally" migrate 2>&1); rc=$?
[ $rc -ne 0 ] && ! grep -q "S3cret" <<<"$out"; check "a conninfo password split by a space is not quoted back" $?

# A folder with someone's files: refused, nothing written, nothing handed over.
mkdir "$secret_dir/home"
echo mine >"$secret_dir/home/notes.txt"
out=$(env -u DATABASE_URL TALLY_DB_DIR="$secret_dir/home" "$tally" db start 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "$secret_dir/home is not empty (notes.txt) and is not a Tally cluster" <<<"$out"
check "db start refuses a non-empty folder that is not a Tally cluster" $?
[ "$(ls -A "$secret_dir/home")" = notes.txt ] && [ "$(stat -c %u "$secret_dir/home/notes.txt")" = "$(id -u)" ] \
    && [ "$(stat -c %u "$secret_dir/home")" = "$(id -u)" ]
check "and leaves the folder's files and owners as they were" $?
out=$(cd "$secret_dir" && env -u DATABASE_URL TALLY_DB_DIR="$secret_dir/home" "$tally" customers list 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "is not a Tally cluster" <<<"$out"; check "a command on that folder is refused the same way" $?
rm -rf "$secret_dir"
