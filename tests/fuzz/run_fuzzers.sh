#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60), all at once, from its seed corpus
# (tests/fuzz/corpus/<target>). New interesting inputs collect in build/asan/corpus;
# a crashing input is written to build/asan/findings/<target>-crash-… and the script
# fails, printing it. Copy such an input into tests/fuzz/regressions/<target>/ once it
# is fixed: fuzz_regression_tests replays it on every `make test`.
set -u
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/asan"
mkdir -p "$build/findings"
pids=()
targets=(expression csv model_file)
for target in "${targets[@]}"; do
  mkdir -p "$build/corpus/$target"
  # -rss_limit_mb: inputs are at most 4 kB, so 2 GB of memory is a leak or a blow-up.
  "$build/tests/fuzz/fuzz_$target" "$build/corpus/$target" "$root/tests/fuzz/corpus/$target" \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$target-" >"$build/$target.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  target="${targets[$i]}"
  if wait "${pids[$i]}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$')
    echo "fuzz_$target: ${runs:-?} inputs in ${seconds} s, no crash"
  else
    status=1
    echo "fuzz_$target FAILED; the end of its log ($build/$target.log):"
    tail -n 40 "$build/$target.log"
  fi
done
exit $status
