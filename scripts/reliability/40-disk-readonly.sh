#!/usr/bin/env bash
# Part 40: storage that refuses writes. A rejects file and an export folder on
# a full disk (a 64 KiB tmpfs) and on a read-only file system, and a database
# that refuses writes (default_transaction_read_only). Each command must exit
# non-zero with a clear reason (never 1, the "bug" kind, never a crash), and
# leave nothing half-written: no events, no rejects file, no export files, no
# database change.
source "$(dirname "$0")/lib.sh"
url=$(setup_db rel40 5)
refusals=0

mounted=()
cleanup_mounts() { for m in "${mounted[@]}"; do umount "$m" 2>/dev/null; done; }
trap cleanup_mounts EXIT
full=$work/full readonly=$work/readonly
mkdir -p "$full" "$readonly"
fs=yes
if [ "$(id -u)" = 0 ]; then
    mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null && mounted+=("$full")
    [ ${#mounted[@]} = 1 ] && mount -t tmpfs -o size=64k,ro tmpfs "$readonly" 2>/dev/null && mounted+=("$readonly")
    # Root in a container without the right to mount: root writes anywhere, so
    # there is no way to refuse it a file here; the database checks still run.
    [ ${#mounted[@]} = 2 ] || { fs=no; echo "  (root without mount: full-disk and read-only file checks skipped)"; }
else
    # Not root: no tmpfs; a folder without write permission stands in for both.
    echo "  (not root: read-only folders instead of a full tmpfs)"
    chmod 555 "$full" "$readonly"
fi

# A file whose rejects (about 300 KB) cannot fit in 64 KiB, and good events.
python3 - "$work/events.ndjson" "$P" <<'PY'
import json, sys
path, month = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    for i in range(3000):
        if i % 2:
            f.write(json.dumps({"id": f"e{i}", "customer": "cust-1", "model": "llama-3.3-70b-instruct",
                                "timestamp": f"{month}-03T10:00:00Z", "input_tokens": 10, "site": "s"}) + "\n")
        else:
            f.write(json.dumps({"id": f"bad{i}", "customer": "cust-1", "input_tokens": -1, "pad": "x" * 80}) + "\n")
PY

refused() { # label expected-text command… : non-zero, not 1, not a crash, the text on stderr
    local label=$1 text=$2; shift 2
    DATABASE_URL=$url "$tally" "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -lt 128 ] && grep -q "$text" "$work/err"
    check $? "$label: exit $rc, $(head -c 220 "$work/err" | tr '\n' ' ')"
    refusals=$((refusals + 1))
}
stored() { q "$url" "SELECT count(*) FROM usage_events"; }

if [ $fs = yes ]; then
    refused "rejects file on a full disk" "cannot write the rejects file" usage ingest "$work/events.ndjson" --rejects "$full/rejects.ndjson"
    [ "$(stored)" = 0 ] && [ -z "$(ls -A "$full")" ]; check $? "  … no event stored, no rejects file left ($(stored) events, $(ls -A "$full" | wc -l) files)"
    refused "rejects file on a read-only file system" "cannot write the rejects file" usage ingest "$work/events.ndjson" --rejects "$readonly/rejects.ndjson"
    [ "$(stored)" = 0 ]; check $? "  … no event stored"
fi
DATABASE_URL=$url "$tally" usage ingest "$work/events.ndjson" --rejects "$work/rejects.ndjson" >/dev/null 2>&1
[ $? -eq 3 ] && [ "$(stored)" = 1500 ]; check $? "the same ingest with a writable rejects file: 1500 accepted, 1500 rejected"

# Exports: a month of 5 finalized invoices as HTML, into a disk with room for one or two.
for c in 2 3 4 5; do printf '%s\n' "{\"id\":\"x$c\",\"customer\":\"cust-$c\",\"model\":\"llama-3.3-70b-instruct\",\"timestamp\":\"$P-04T10:00:00Z\",\"input_tokens\":5,\"site\":\"s\"}"; done >"$work/more.ndjson"
sed 's/"id":"x/"id":"y/' "$work/more.ndjson" >"$work/later.ndjson"
DATABASE_URL=$url "$tally" usage ingest "$work/more.ndjson" --rejects "$work/r1" >/dev/null 2>&1
DATABASE_URL=$url "$tally" invoice finalize --period "$P" >"$work/out" 2>&1; check $? "finalize $(head -1 "$work/out")"
if [ $fs = yes ]; then
    if [ ${#mounted[@]} -gt 0 ]; then
        size=$(DATABASE_URL=$url "$tally" invoice show "INV-$Y-000001" --format html | wc -c)
        dd if=/dev/zero of="$full/filler" bs=1024 count=$((64 - size * 3 / 2 / 1024 - 4)) status=none 2>/dev/null
    fi
    refused "invoice export to a full disk" "cannot write" invoice export --period "$P" --format html --out "$full/out"
    [ "$(ls -A "$full/out" 2>/dev/null | wc -l)" = 0 ]; check $? "  … no export file left ($(ls -A "$full/out" 2>/dev/null | tr '\n' ' '))"
    refused "invoice export to a read-only file system" "cannot write" invoice export --period "$P" --format html --out "$readonly/out"
fi

# A database that refuses writes: every writing command says so and changes nothing.
usage_fingerprint "$url" >"$work/before"; invoices_fingerprint "$url" >>"$work/before"
q "$base_url" "ALTER DATABASE rel40 SET default_transaction_read_only = on" >/dev/null
refused "usage ingest into a read-only database" "read-only" usage ingest "$work/later.ndjson" --rejects "$work/r2"
refused "invoice run in a read-only database" "read-only" invoice run --period "$C"
refused "customers add in a read-only database" "read-only" customers add --id newco --name N --email n@n.io --country US --currency USD
refused "rates load into a read-only database" "read-only" rates load "$repo/rates"
refused "invoice void in a read-only database" "read-only" invoice void "INV-$Y-000001" --reason "test"
q "$base_url" "ALTER DATABASE rel40 RESET default_transaction_read_only" >/dev/null
usage_fingerprint "$url" >"$work/after"; invoices_fingerprint "$url" >>"$work/after"
cmp -s "$work/before" "$work/after"; check $? "the read-only database is unchanged"
DATABASE_URL=$url "$tally" usage ingest "$work/later.ndjson" --rejects "$work/r2" >/dev/null 2>&1; check $? "writable again: the ingest goes through"
figure refusals_checked "$refusals"
figure file_system_checks "$fs"
finish
