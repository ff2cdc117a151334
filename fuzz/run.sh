#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/Package.swift, address sanitizer on) and
# runs each for FUZZ_SECONDS (default 30), seeded from the project's own data:
# the shipped rate cards, the example events and volumes of the docs, and the
# decimals and timestamps in them. A crash leaves its input in
# .build-fuzz/crashes/TARGET/ and fails the run; make it a regression test.
#   make fuzz FUZZ_SECONDS=600          or   fuzz/run.sh [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
scratch=.build-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzUsageLine FuzzUsageCSV FuzzRateCard FuzzSupplyCSV FuzzCustomerCSV FuzzDecimal FuzzTimestamp FuzzQuoteVolume)

swift build --package-path fuzz --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing >&2
bin=$(swift build --package-path fuzz --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing --show-bin-path)

# Seed corpora, rebuilt each run from what the repository holds.
corpus=$scratch/corpus
rm -rf "$corpus.seed" && mkdir -p "$corpus.seed"
seed() { # target, then lines on stdin: one seed file per line
    mkdir -p "$corpus.seed/$1" "$corpus/$1"
    local i=0
    while IFS= read -r line; do i=$((i + 1)); printf '%s' "$line" >"$corpus.seed/$1/seed-$i"; done
}
# (grep finds nothing: no seed of that kind, not an error)
{ grep -ohE '\{"id":[^}]*\}' docs/*.md scripts/smoke/*.sh scripts/reliability/*.sh || true; } | seed FuzzUsageLine
{ echo 'id,customer,model,timestamp,input_tokens,cached_input_tokens,output_tokens,site,tag'
  { grep -ohE '\{"id":[^}]*\}' docs/*.md scripts/smoke/*.sh || true; } | python3 -c '
import json, sys
for line in sys.stdin:
    try: e = json.loads(line)
    except ValueError: continue
    print(",".join(str(e.get(k, "")) for k in ["id","customer","model","timestamp","input_tokens","cached_input_tokens","output_tokens","site","tag"]))'
} >"$corpus.seed/usage.csv"
mkdir -p "$corpus.seed/FuzzUsageCSV" "$corpus/FuzzUsageCSV" && cp "$corpus.seed/usage.csv" "$corpus.seed/FuzzUsageCSV/seed-1"
# Supply and customer files: the repository's own CSV files of those kinds.
mkdir -p "$corpus.seed/FuzzSupplyCSV" "$corpus/FuzzSupplyCSV" "$corpus.seed/FuzzCustomerCSV" "$corpus/FuzzCustomerCSV"
find data docs scripts -name '*.csv' 2>/dev/null | while read -r f; do
    if head -n 1 "$f" | grep -q 'billing_email'; then cp "$f" "$corpus.seed/FuzzCustomerCSV/$(echo "$f" | tr / _)"
    else cp "$f" "$corpus.seed/FuzzSupplyCSV/$(echo "$f" | tr / _)"; fi
done
printf 'id,name,billing_email,country,vat_id,tax_treatment,currency,card\nacme,Acme AI,billing@acme.ai,DE,DE123456789,reverse_charge,EUR,public\n' >"$corpus.seed/FuzzCustomerCSV/seed-1"
printf 'id,provider,country,currency\nde-fra-1,Hetzner,DE,EUR\n' >"$corpus.seed/FuzzSupplyCSV/seed-sites"
printf 'day,currency,rate\n2026-11-01,EUR,1.08\n' >"$corpus.seed/FuzzSupplyCSV/seed-fx"
printf 'id,memory_gb,description\nh100-80g,80,NVIDIA H100\n' >"$corpus.seed/FuzzSupplyCSV/seed-gpu"
printf 'id,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,upfront_fee\nrc-1,de-fra-1,h100-80g,64,2026-01-01T00:00:00Z,2027-01-01T00:00:00Z,1.85,25000.00\n' >"$corpus.seed/FuzzSupplyCSV/seed-reserved"
printf 'id,kind,site_id,gpu_type_id,gpu_count,starts_at,ends_at,price_per_gpu_hour,preempted_at\nsp-1,spot,de-fra-1,h100-80g,8,2026-11-03T10:00:00Z,2026-11-03T14:30:00Z,2.10,\n' >"$corpus.seed/FuzzSupplyCSV/seed-spot"
printf 'hour,site_id,gpu_type_id,model,gpus_used,input_tokens,cached_input_tokens,output_tokens\n2026-11-03T10:00:00Z,de-fra-1,h100-80g,llama-3.3-70b-instruct,12.5,1000,0,200\n' >"$corpus.seed/FuzzSupplyCSV/seed-alloc"
printf 'model,input_weight,cached_weight,output_weight\nllama-3.3-70b-instruct,1,0.1,4\n' >"$corpus.seed/FuzzSupplyCSV/seed-weights"
mkdir -p "$corpus.seed/FuzzRateCard" "$corpus/FuzzRateCard"
find rates -name '*.yaml' | while read -r f; do cp "$f" "$corpus.seed/FuzzRateCard/$(echo "$f" | tr / _)"; done
{ grep -ohE '\b-?[0-9]+\.[0-9]+\b|\b[0-9]+e[0-9]+\b' rates/*.yaml rates/*/*.yaml docs/*.md || true; } | sort -u | head -300 | seed FuzzDecimal
{ grep -ohE '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?' docs/*.md rates/*.yaml || true; } | sort -u | head -300 | seed FuzzTimestamp
{ grep -ohE '[a-z0-9.-]+:(input|cached|output)=[^ `"]+' docs/*.md scripts/smoke/*.sh || true; } | sort -u | seed FuzzQuoteVolume
printf '%s\n' 10% 12.5% 25 '0.342' | seed FuzzQuoteVolume

# Leaks: Foundation's String(contentsOfFile:) keeps a 4 KiB buffer per call
# (not Tally's); the Swift backtracer would trip the address sanitizer while
# reporting a crash, hiding it: both off, the fatal error itself is printed.
export ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no
status=0
for target in "${targets[@]}"; do
    crashes=$scratch/crashes/$target
    mkdir -p "$crashes"
    echo "== $target (${seconds} s)" >&2
    "$bin/$target" "$corpus/$target" "$corpus.seed/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$crashes/" -print_final_stats=1 2>"$scratch/$target.log" || status=1
    grep -E "^stat::number_of_executed_units|^stat::new_units_added|ERROR:|SUMMARY" "$scratch/$target.log" >&2 || true
done
[ $status -eq 0 ] && echo "fuzz: no crash in ${#targets[@]} target(s), ${seconds} s each" >&2 || echo "fuzz: CRASH, inputs in $scratch/crashes/" >&2
exit $status
