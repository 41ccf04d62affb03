// Shared pieces of the benchmark binaries: registering a variant of a problem under the
// name "problem/N/variant", checking a gradient against a reference before timing, and
// the command line.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// What a variant's time is: the CPU time of its thread, or, for a variant whose work
// runs on other threads too (OpenBLAS's, LibTorch's), the wall-clock time.
enum class Clock { cpu, wall };

// Each variant registers with this; the report pairs variants by problem label.
inline void register_variant(const std::string& problem_label, const std::string& variant,
                             std::function<void(benchmark::State&)> body, Clock clock = Clock::cpu) {
  auto* registered = benchmark::RegisterBenchmark((problem_label + "/" + variant).c_str(),
                                                  [body](benchmark::State& state) { body(state); });
  registered->Unit(benchmark::kNanosecond);
  if (clock == Clock::wall) registered->UseRealTime();
}

// True when two gradients agree to `tolerance` relative to the larger's max norm.
inline bool gradients_agree(const std::vector<double>& a, const std::vector<double>& b,
                            double tolerance = 1e-9) {
  if (a.size() != b.size()) return false;
  double scale = 1e-300, diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max({scale, std::abs(a[i]), std::abs(b[i])});
    diff = std::max(diff, std::abs(a[i] - b[i]));
    if (std::isnan(a[i]) || std::isnan(b[i])) return false;
  }
  return diff <= tolerance * scale;
}

// The tapegrad gradient of every problem, computed once, that the peers are checked against.
std::vector<double> reference_gradient(const std::string& problem_label);
void set_reference_gradient(const std::string& problem_label, std::vector<double> gradient);

// The command line of a benchmark binary: Google Benchmark's flags (with this project's
// defaults added) and `--report=PATH`, where the results table goes.
struct Arguments {
  std::vector<std::string> storage;
  std::vector<char*> args;  // points into storage; hand to benchmark::Initialize
  std::string report_path;  // empty: no report
  std::string command;      // the command as typed, quoted in the report
};
Arguments parse_arguments(int argc, char** argv);

// Peers register themselves when their packages were found at configure time.
void register_adolc_variants();
void register_sacado_variants();
void register_torch_mlp_variants();

}  // namespace bench
