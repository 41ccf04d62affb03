// The bounds of the numbers a user gives that size a resource (memory, or run time that
// grows without end), checked before anything is allocated: a mistyped 10^9 is refused
// naming the flag and its limit, not run until the machine gives out.
#pragma once

#include <string>

#include "arguments.hpp"

namespace tapegrad::cli {

// Every vector entry of a point together (--dim, or the lists of --at/--from): 10^7
// doubles is 80 MB per copy of the point, and a gradient holds several copies.
inline constexpr long long max_point_entries = 10'000'000;
// A Hessian (the hessian command, minimize's newton) holds n² doubles: 4096² is 128 MB.
inline constexpr long long max_hessian_coordinates = 4096;
// minimize --steps and solve --max-iter: each step is cheap to keep count of, but a run
// of more than 10^8 is a typing error rather than a plan (and --plot keeps every step).
inline constexpr long long max_steps = 100'000'000;
// minimize --plot keeps every iterate of every run: at most this many points in all.
inline constexpr long long max_plotted_points = 10'000'000;
// minimize --restarts: one run each, and every start kept to compare minima; 10^4 runs
// of a small f take about a second (a search that needs more is no longer a restart).
inline constexpr long long max_restarts = 10'000;
// train's network: more weights than an MLP trained here sensibly has (5·10⁷: 400 MB in
// double, and the optimizer's buffers besides); parse_widths bounds each layer at 10⁶.
inline constexpr double max_network_weights = 5e7;
// cost --samples: timed batches per median (each batch runs for tens of milliseconds,
// three kinds of batch: 100 is about ten seconds).
inline constexpr long long max_samples = 100;

// "10^7" for a power of ten, else the number.
inline std::string limit_text(long long limit) {
  int power = 0;
  long long rest = limit;
  while (rest >= 10 && rest % 10 == 0) rest /= 10, ++power;
  return rest == 1 && power >= 4 ? "10^" + std::to_string(power) : std::to_string(limit);
}

// Throws UsageError naming `flag`, the value and the range [low, high].
inline void require_in_range(long long value, long long low, long long high, const std::string& flag) {
  if (value >= low && value <= high) return;
  throw UsageError(flag + " " + std::to_string(value) + ": must be from " + std::to_string(low) + " to " +
                   limit_text(high));
}

}  // namespace tapegrad::cli
