// The bounds of the numbers a user gives that size a resource (memory, or run time that
// grows without end), checked before anything is allocated: a mistyped 10^9 is refused
// naming the flag and its limit, not run until the machine gives out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "arguments.hpp"

namespace tapegrad::cli {

// Every vector entry of a point together (--dim, or the lists of --at/--from): 10^7
// doubles is 80 MB per copy of the point, and a gradient holds several copies.
inline constexpr long long max_point_entries = 10'000'000;
// An expression typed as the command-line argument itself: far beyond anything typed
// (Linux passes at most 128 kB in one argument); a longer one comes as @file or on
// standard input.
inline constexpr std::size_t max_argument_expression_length = 100'000;
// A file a command reads whole (an expression, an equation list or a point as @file, or
// an expression on standard input): 256 MiB, checked by its size before it is read. The
// parser is linear in the text, so this bounds the parse to seconds; the program it
// compiles to is bounded by max_evaluation_operations besides.
inline constexpr std::uintmax_t max_input_file_bytes = std::uintmax_t{256} << 20;
// Operations one evaluation of an expression runs, every sum unrolled (each term's
// instructions count once per index): refused before anything runs, so that a range of
// 10^12 or nested sums over long vectors are an error, not a hang. Each operation is a
// statement on the tape when the gradient is recorded (tens of bytes each).
inline constexpr long long max_evaluation_operations = 100'000'000;
// A Hessian (the hessian command, minimize's newton) holds n² doubles: 4096² is 128 MB.
inline constexpr long long max_hessian_coordinates = 4096;
// hessian --sparse and jacobian: the nonzeros a sparse derivative may have (10^7: its
// pattern, values and the Matrix Market text, a few hundred MB); a pattern that grows past
// it is refused while it is found (autodiff/sparse/pattern.hpp). A dense jacobian holds
// rows × columns numbers: at most max_hessian_coordinates² of them.
inline constexpr long long max_sparse_nonzeros = 10'000'000;
// minimize --steps and solve --max-iter: each step is cheap to keep count of, but a run
// of more than 10^8 is a typing error rather than a plan (and --plot keeps every step).
inline constexpr long long max_steps = 100'000'000;
// solve: the equations of one system, counted before any is compiled. Each takes about a
// kilobyte compiled (10^6 equations of the Bratu problem: 1.1 GB before the solve
// starts), and its row of J and its part of the recording more: 4·10^6 is some 5 GB.
inline constexpr long long max_equations = 4'000'000;
// solve --krylov-restart: GMRES keeps restart + 1 vectors of n numbers; a restart past a
// thousand is no longer a restart, and the basis is bounded besides (4 GB in doubles).
inline constexpr long long max_krylov_restart = 1000;
inline constexpr long long max_krylov_basis_entries = 500'000'000;
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

// "256 MiB (268435456 bytes)": a size in bytes as a limit is stated.
inline std::string bytes_text(std::uintmax_t bytes) {
  const std::string exact = std::to_string(bytes) + " bytes";
  if (bytes >= (std::uintmax_t{1} << 20) && bytes % (std::uintmax_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB (" + exact + ")";
  return exact;
}

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
