#!/usr/bin/env bash
# Seconds to compile examples/quickstart.cpp (a gradient) and the README's training
# example (digits, without the checkpoint) against a source tree, as a user's program is
# compiled: the median of 3 runs, at -O0 -g and at -O2.
# Usage: bench/compile_time.sh [SOURCE_TREE]   (default: this checkout)
set -euo pipefail
tree=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include"
ln -s "$tree" "$work/include/tapegrad"
cp "$(dirname "$0")/../examples/quickstart.cpp" "$work/gradient.cpp"
cat > "$work/training.cpp" <<'CPP'
#include <cstdio>
#include <tapegrad/tapegrad.hpp>
namespace tg = tapegrad;
namespace models = tapegrad::models;
int main() {
  const models::Split split = models::train_test_split(models::load_builtin("digits"), 0.2, /*seed=*/0);
  models::Mlp net({64, 32, 10}, {.activation = models::Activation::Sigmoid, .seed = 0});
  net.standardize_on(split.train);
  tg::optim::Adam adam(net.parameters(), {.lr = 0.01, .weight_decay = 1e-4});
  models::History history = models::Trainer({.epochs = 40, .batch_size = 32}).fit(net, adam, split.train);
  std::printf("test accuracy %.2f%%\n", 100 * net.evaluate(split.test).accuracy);
  models::save_model(net, "model.json");
  history.write_svg("loss.svg", "digits");
}
CPP
for program in gradient training; do
  for flags in "-O0 -g" "-O2"; do
    times=()
    for run in 1 2 3; do
      times+=("$( { /usr/bin/time -f %e c++ -std=c++20 $flags -I "$work/include" -isystem /usr/include/eigen3 \
                   -c "$work/$program.cpp" -o /dev/null; } 2>&1 | tail -1)")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
    printf "%-9s %-7s median %5s s   (runs: %s)\n" "$program" "$flags" "$median" "${times[*]}"
  done
done
