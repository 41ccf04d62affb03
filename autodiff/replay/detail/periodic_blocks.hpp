/// \file
/// Periodic blocks: a loop body written over several statements, replayed one statement
/// shape at a time across all its iterations.
///
/// A loop whose body records several statements of different shapes (named temporaries:
/// `V a = x[i+1] - x[i]*x[i]; V b = 1 - x[i]; f += 100*a*a + b*b;`) leaves a recording in
/// which the statements' programs repeat with a period k (here 3) but no two consecutive
/// statements share one, so a replay in recording order calls a compiled kernel for every
/// single statement, and the call costs more than the arithmetic. Where it is safe, the
/// replay instead runs the block column by column: column j is the j-th statement of every
/// period, all of one program, in one kernel call that steps by k.
///
/// That order computes each statement from the same operand values as recording order, so
/// the values and partials are the same bits, provided every operand a statement t reads
/// inside the block is ready when column order reaches t: in an earlier column (any
/// period before t, or t's own), or in t's own column in an earlier period (the sum `f`
/// read by the next period's `f += …`). A statement that reads a later column of an
/// earlier period (a temporary carried to the next iteration) ends the block. Comparisons
/// end blocks too (a guard is checked between statements), and so does any statement
/// without a compiled kernel. A column of inputs (a Var made from a number in the loop
/// body: the command line's constants) is passed over, as a replay passes over inputs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tapegrad::detail {

// Statements first … last-1, period `period` (2 or more), at least min_periods periods.
struct PeriodicBlock {
  std::uint32_t first;
  std::uint32_t last;
  std::uint32_t period;
};

inline constexpr std::uint32_t max_block_period = 32;  // longer loop bodies are replayed in order
inline constexpr std::uint32_t min_block_periods = 4;  // a shorter block saves too few calls

// What the finder reads of a recording: per statement, whether a compiled kernel can
// replay it (a program with a kernel) or it is an input, its shape (its program, or
// input_shape), and whether a comparison is checked just before it; the tape's operand
// arrays.
inline constexpr std::uint32_t input_shape = 0xffffffff;
struct PeriodicBlockInput {
  std::span<const std::uint8_t> compiled;
  std::span<const std::uint32_t> shape;
  std::span<const std::uint8_t> guard_before;
  const std::uint32_t* statement_end;
  const std::uint32_t* operand_index;
};

// Whether statement t, at column j of a block starting at `first` with this period, reads
// only statements before the block or ready in column order (see above).
inline bool reads_ready_operands(const PeriodicBlockInput& in, std::uint32_t first, std::uint32_t period,
                                 std::uint32_t t) {
  const std::uint32_t column = (t - first) % period;
  for (std::uint32_t o = in.statement_end[t - 1]; o < in.statement_end[t]; ++o) {
    const std::uint32_t read = in.operand_index[o];
    if (read < first || in.shape[read] == input_shape) continue;  // an input's value is set already
    if ((read - first) % period > column) return false;
  }
  return true;
}

// Whether period q (statements first + q·period …) repeats the first period's shapes,
// is all compiled, has no comparison inside, and reads ready operands.
inline bool period_fits(const PeriodicBlockInput& in, std::uint32_t first, std::uint32_t period,
                        std::uint32_t q) {
  const std::uint32_t begin = first + q * period;
  if (begin + period > in.shape.size()) return false;
  for (std::uint32_t j = 0; j < period; ++j) {
    const std::uint32_t t = begin + j;
    if (!in.compiled[t] || in.shape[t] != in.shape[first + j] || (t != first && in.guard_before[t]) ||
        !reads_ready_operands(in, first, period, t))
      return false;
  }
  return true;
}

// The periodic blocks of a recording, in statement order, none overlapping. A run of
// statements that share one program (period 1) is left to the replay's own run of one
// kernel call, and is never the start of a block; nor is an input.
inline std::vector<PeriodicBlock> find_periodic_blocks(const PeriodicBlockInput& in) {
  std::vector<PeriodicBlock> blocks;
  const auto end = static_cast<std::uint32_t>(in.shape.size());
  std::uint32_t s = 1;
  while (s + 2 * min_block_periods <= end) {
    if (!in.compiled[s] || in.shape[s] == input_shape || in.shape[s + 1] == in.shape[s]) {
      ++s;
      continue;
    }
    std::uint32_t periods = 0, period = 0;
    for (std::uint32_t k = 2; k <= max_block_period && s + k < end && periods == 0; ++k) {
      if (in.shape[s + k] != in.shape[s]) continue;
      std::uint32_t q = 0;
      while (period_fits(in, s, k, q)) ++q;
      if (q >= min_block_periods) {
        periods = q;
        period = k;
      }
    }
    if (periods == 0) {
      ++s;
      continue;
    }
    blocks.push_back({s, s + periods * period, period});
    s += periods * period;
  }
  return blocks;
}

}  // namespace tapegrad::detail
