// Sum runs: the opt-in, reassociated replay of accumulation loops (RecordOptions::
// reassociate_sums).
//
// `for (i …) f += term(x[i], mu)` records one statement per term, each reading the one
// before: a chain. Replayed one statement at a time, both sweeps follow that chain: every
// statement waits for the previous sum forward and for the next adjoint backward, so a
// replay costs several additions' latency per term however cheap the term is. A sum run
// is a stretch of such statements that the replay may treat as one sum:
//   - consecutive statements with the same expression (one program, with a compiled
//     kernel) whose root is `chain + term`, `term + chain` or `chain - term`, where
//     `chain` is a Var leaf that names the statement just before (from the second
//     statement of the run on);
//   - every partial sum but the last is read by nothing else: not by another operand, a
//     comparison or the output; and no comparison is made inside the run.
// Then every statement of the run has the adjoint of its last one, so replaying it
// computes each term with the chain leaf read as zero (the kernel, replay_sum_run),
// adds the terms in two interleaved sums, and, for an operand that is the same Var in
// every term (`mu`), adds its partials up forward instead of storing them; the reverse
// sweep (sweep_sum_run) then scatters adjoint · partial to the operands that vary and
// adjoint · Σ partials to the fixed ones, with no chain at all.
//
// The price is the order of additions: values and gradients equal a fresh recording's
// up to rounding, not bit for bit, and the partial sums inside a run are not computed
// (their values are not kept). Everything outside the runs replays exactly as before.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "sweep.hpp"

namespace tapegrad::detail {

// A run of statements first … last-1 replayed as one sum (see above).
struct SumRun {
  std::uint32_t first;
  std::uint32_t last;
  std::uint16_t chain_slot;  // the operand slot that reads the statement before
  std::uint16_t width;       // operands per statement
  std::uint64_t fixed_mask;  // slots naming one Var in every statement after the first
  std::uint64_t store_mask;  // the other slots but the chain: their partials are stored
  std::uint32_t fixed_at;    // where the fixed slots' sums start in SumRunPlan::fixed_sums
};

template <class T>
struct SumRunPlan {
  std::vector<SumRun> runs;   // in statement order
  std::vector<T> fixed_sums;  // per run, one per slot: Σ partial over statements first+1 … last-1
  // Statements 1 … leaves have no operands (the inputs recorded first): the sweep stops
  // above them, as sweeping them would add nothing.
  std::uint32_t leaves = 0;
  bool empty() const noexcept { return runs.empty(); }
};

// The shortest run worth treating as a sum.
inline constexpr std::uint32_t min_sum_run = 4;

// Finds the sum runs among statements 1 … end-1 of a replayable recording whose output is
// statement `output`. Record is ReplayRecord<T>.
template <class T, class Record>
SumRunPlan<T> plan_sum_runs(const Record& record, const std::uint32_t* statement_end,
                            const std::uint32_t* operand_index, std::uint32_t end, std::uint32_t output) {
  SumRunPlan<T> plan;
  if (record.num_forwards() != 0) return plan;  // tensor operations read values the planner cannot see
  // How many times each statement is read: by operands, by comparisons, as the output.
  std::vector<std::uint32_t> uses(end, 0);
  for (std::uint32_t o = 0; o < statement_end[end - 1]; ++o)
    if (operand_index[o] < end) ++uses[operand_index[o]];
  for (const std::uint32_t i : record.guard_operand_indices())
    if (i < end) ++uses[i];
  ++uses[output];
  std::vector<bool> guard_before(end + 1, false);
  for (std::size_t g = 0; g < record.num_guards(); ++g)
    guard_before[std::min<std::uint32_t>(record.guard(g).before, end)] = true;

  while (plan.leaves + 1 < end && statement_end[plan.leaves + 1] == statement_end[plan.leaves]) ++plan.leaves;
  // A statement's program if it has a sum kernel, else -1.
  auto program_of = [&](std::uint32_t s) { return record.sum_program(s); };
  std::uint32_t s = 1;
  while (s + 1 < end) {
    const std::int64_t p = program_of(s);
    const std::uint32_t width = statement_end[s] - statement_end[s - 1];
    // The chain slot: the candidate through which the next statement reads this one.
    int chain = -1;
    if (p >= 0 && width <= 64 && program_of(s + 1) == p)
      for (const int candidate : record.sum_chain_slots(static_cast<std::uint32_t>(p)))
        if (candidate >= 0 && operand_index[statement_end[s] + static_cast<std::uint32_t>(candidate)] == s)
          chain = candidate;
    if (chain < 0) {
      ++s;
      continue;
    }
    // Extend while the next statement has the same program, chains on this one, and this
    // one is read by nothing else.
    std::uint32_t last = s + 1;
    while (last < end && program_of(last) == p && !guard_before[last] && uses[last - 1] == 1 &&
           operand_index[statement_end[last - 1] + static_cast<std::uint32_t>(chain)] == last - 1)
      ++last;
    if (last - s < min_sum_run) {
      s = last;
      continue;
    }
    SumRun run{s,
               last,
               static_cast<std::uint16_t>(chain),
               static_cast<std::uint16_t>(width),
               0,
               0,
               static_cast<std::uint32_t>(plan.fixed_sums.size())};
    for (std::uint32_t k = 0; k < width; ++k) {
      if (k == static_cast<std::uint32_t>(chain)) continue;
      const std::uint32_t second = operand_index[statement_end[s] + k];
      bool fixed = true;
      for (std::uint32_t t = s + 2; t < last && fixed; ++t)
        fixed = operand_index[statement_end[t - 1] + k] == second;
      (fixed ? run.fixed_mask : run.store_mask) |= std::uint64_t{1} << k;
    }
    plan.fixed_sums.resize(plan.fixed_sums.size() + width, T(0));
    plan.runs.push_back(run);
    s = last;
  }
  return plan;
}

// The reverse sweep of one sum run, after the sweep has passed its last statement (whose
// adjoint is then complete): every statement of the run has that adjoint.
template <class T>
void sweep_sum_run(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* adj,
                   const SumRun& run, const T* fixed_sums) {
  const T a = adj[run.last - 1];
  // The first statement: all its operands, the sum the run starts from included.
  for (std::uint32_t o = end[run.first - 1]; o < end[run.first]; ++o) adj[index[o]] += partial[o] * a;
  if (std::has_single_bit(run.store_mask)) {
    // One operand per term that varies (x[i] in log_sum_exp, W's row in a layer).
    const auto k = static_cast<std::uint32_t>(std::countr_zero(run.store_mask));
    for (std::uint32_t o = end[run.first] + k; o < end[run.last - 1]; o += run.width)
      adj[index[o]] += partial[o] * a;
  } else if (run.store_mask != 0) {
    // Backwards through the run, with the latest operand's sum kept in a register
    // (`hot`, as in sweep_plain): neighbouring terms often share an operand (Rosenbrock's
    // x[i] is in terms i-1 and i, twice in term i), and adding each contribution to
    // memory would wait on the store before it.
    std::uint32_t hot = 0;  // statement 0, the constants' slot, absorbs the empty sum
    T hot_sum = T(0);
    for (std::uint32_t begin = end[run.last - 2]; begin >= end[run.first]; begin -= run.width)
      for (std::uint64_t m = run.store_mask; m != 0; m &= m - 1) {
        const std::uint32_t o = begin + static_cast<std::uint32_t>(std::countr_zero(m));
        const T d = partial[o] * a;
        if (index[o] == hot) {
          hot_sum += d;
        } else {
          adj[hot] += hot_sum;
          hot = index[o];
          hot_sum = d;
        }
      }
    adj[hot] += hot_sum;
  }
  for (std::uint64_t m = run.fixed_mask; m != 0; m &= m - 1) {
    const auto k = static_cast<std::uint32_t>(std::countr_zero(m));
    adj[index[end[run.first] + k]] += fixed_sums[k] * a;
  }
}

// The reverse sweep from statement `from` down to statement 1 of a recording replayed
// with `plan`: plain stretches by sweep_plain, sum runs by sweep_sum_run. The adjoints of
// the partial sums inside a run are left as they were.
template <class T>
void sweep_with_sum_runs(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* adj,
                         std::uint32_t from, const SumRunPlan<T>& plan) {
  std::uint32_t s = from;
  for (auto run = plan.runs.rbegin(); run != plan.runs.rend(); ++run) {
    if (run->first > s) continue;  // after the output
    if (s > run->last - 1) sweep_plain(end, index, partial, adj, s, run->last - 1);
    sweep_sum_run(end, index, partial, adj, *run, plan.fixed_sums.data() + run->fixed_at);
    s = run->first - 1;
  }
  sweep_plain(end, index, partial, adj, s, std::min(s, plan.leaves));
}

}  // namespace tapegrad::detail
