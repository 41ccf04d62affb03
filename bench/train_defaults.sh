#!/usr/bin/env bash
# Test accuracy of `tapegrad train` with its defaults on every shipped set, and of the
# tuned runs the README compares them with, over seeds 0-4 (the README's figures).
# Usage: bench/train_defaults.sh [path/to/tapegrad]
set -euo pipefail
tapegrad=${1:-build/release/cli/tapegrad}
mean_accuracy() {
  local sum=0 runs=""
  for seed in 0 1 2 3 4; do
    a=$("$tapegrad" train "$@" --seed "$seed" --json 2>/dev/null | sed 's/.*"test_accuracy":\([0-9.e-]*\).*/\1/')
    runs="$runs $(awk -v a="$a" 'BEGIN { printf "%.1f", 100 * a }')"
    sum=$(awk -v s="$sum" -v a="$a" 'BEGIN { print s + a }')
  done
  awk -v s="$sum" -v r="$runs" 'BEGIN { printf "mean %.1f %%  (seeds 0-4:%s)\n", 20 * s, r }'
}
for data in xor moons spiral digits iris; do
  printf "%-8s defaults            " "$data"; mean_accuracy --data "$data"
done
printf "digits   the demo's network   "; mean_accuracy --data digits --activation sigmoid --epochs 40 --patience 0
printf "iris     README's tuned run   "; mean_accuracy --data iris --hidden 8 --epochs 60 --lr 0.05 --patience 0
