/// \file
/// Sum runs: the opt-in, reassociated replay of accumulation loops (RecordOptions::
/// reassociate_sums).
///
/// `for (i …) f += term(x[i], mu)` records one statement per term, each reading the one
/// before: a chain. Replayed one statement at a time, both sweeps follow that chain: every
/// statement waits for the previous sum forward and for the next adjoint backward, so a
/// replay costs several additions' latency per term however cheap the term is. A sum run
/// is a stretch of such statements that the replay may treat as one sum:
///   - consecutive statements with the same expression (one program, with a compiled
///     kernel) whose root is `chain + term`, `term + chain` or `chain - term`, where
///     `chain` is a Var leaf that names the statement just before (from the second
///     statement of the run on);
///   - every partial sum but the last is read by nothing else: not by another operand, a
///     comparison or the output; and no comparison is made inside the run.
/// Then every statement of the run has the adjoint of its last one, so replaying it
/// computes each term with the chain leaf read as zero (the kernel, replay_sum_run in sum_run_kernels.hpp),
/// adds the terms in two interleaved sums, and, for an operand that is the same Var in
/// every term (`mu`), adds its partials up forward instead of storing them; the reverse
/// sweep (sweep_sum_run) then scatters adjoint · partial to the operands that vary and
/// adjoint · Σ partials to the fixed ones, with no chain at all.
///
/// Most long sums index their operands regularly: term i reads x[i] and x[i+1], or row j's
/// weights one after another, or one `mu` throughout. When every operand slot of the
/// run's statements after the first names base + i·stride (i counting those statements,
/// stride 0 for a fixed slot), the run is *affine*: its kernels compute the operands
/// instead of reading them from the tape. An affine run whose term is cheap arithmetic
/// (`cheap_to_recompute`, scalar/expr.hpp) with operands that vary (Rosenbrock, a layer's
/// weights) stores no partials at all: its replay computes values only, and the reverse
/// sweep computes each term's partials again (sum_run_reverse). At a long sum's size the
/// tape's partials and indices do not fit in the cache, and reading them back from memory
/// cost more than doing the few multiplications twice.
///
/// The price is the order of additions: values and gradients equal a fresh recording's
/// up to rounding, not bit for bit, and the partial sums inside a run are not computed
/// (their values are not kept). Everything outside the runs replays exactly as before.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "../../scalar/sweep.hpp"
#include "kernel_args.hpp"

namespace tapegrad::detail {

// A run of statements first … last-1 replayed as one sum (see above).
struct SumRun {
  std::uint32_t first;
  std::uint32_t last;
  std::uint16_t chain_slot;  // the operand slot that reads the statement before
  std::uint16_t width;       // operands per statement
  std::uint64_t fixed_mask;  // slots naming one Var in every statement after the first
  std::uint64_t store_mask;  // the other slots but the chain: their partials are stored
  std::uint32_t fixed_at;    // where this run's width entries start in fixed_sums and affine_*
  // Affine (see above): statement first+1+i's slot k names affine_base[k] + i·affine_stride[k].
  bool affine = false;
  // How far apart the numbers of consecutive statements after the first are: 0 when they
  // all have the same numbers (Rosenbrock's 100 and 1), which are then read from one place.
  std::uint32_t numbers_stride = 0;
};
// An affine run that stores partials keeps those of its statements after the first
// packed, one per slot that varies, where the statements' operands begin.
inline std::uint32_t stored_per_term(const SumRun& run) {
  return static_cast<std::uint32_t>(std::popcount(run.store_mask));
}

template <class T>
struct SumRunPlan;
// A sum run's reverse sweep with its partials computed again (sum_run_kernels.hpp).
template <class T>
using SumRunReverse = void (*)(const KernelArgs<T>&, const SumRun&, const SumRunPlan<T>&, T* adj);

template <class T>
struct SumRunPlan {
  std::vector<SumRun> runs;   // in statement order
  std::vector<T> fixed_sums;  // per run, one per slot: Σ partial over statements first+1 … last-1
  std::vector<std::int64_t> affine_base, affine_stride;  // per affine run, one per slot
  // Per run: set when the run recomputes its partials in the reverse sweep rather than
  // storing them (affine, cheap, with operands that vary; see above).
  std::vector<SumRunReverse<T>> reverse;
  // Statements 1 … leaves have no operands (the inputs recorded first): the sweep stops
  // above them, as sweeping them would add nothing.
  std::uint32_t leaves = 0;
  bool empty() const noexcept { return runs.empty(); }
};

// The shortest run worth treating as a sum.
inline constexpr std::uint32_t min_sum_run = 4;

// Whether run's statements after the first name their operands affinely (see above);
// if so, sets run.affine, base and stride (one per slot; the chain slot's are 0).
inline void find_affine(const std::uint32_t* statement_end, const std::uint32_t* operand_index, SumRun& run,
                        std::int64_t* base, std::int64_t* stride) {
  const std::uint32_t body = run.first + 1;  // the first statement after the first
  auto index = [&](std::uint32_t t, std::uint32_t k) -> std::int64_t {
    return operand_index[statement_end[t - 1] + k];
  };
  for (std::uint32_t k = 0; k < run.width; ++k) {
    if (k == run.chain_slot) continue;
    base[k] = index(body, k);
    stride[k] = index(body + 1, k) - base[k];
    for (std::uint32_t t = body + 2; t < run.last; ++t)
      if (index(t, k) != base[k] + static_cast<std::int64_t>(t - body) * stride[k]) return;
  }
  run.affine = true;
}

// How far apart the numbers of run's statements after the first are (SumRun::
// numbers_stride): 0 if they are all the same, bit for bit.
template <class Record>
std::uint32_t numbers_stride_of(const Record& record, const SumRun& run) {
  const auto numbers = record.statement_numbers(run.first + 1);
  for (std::uint32_t t = run.first + 2; t < run.last; ++t) {
    const auto other = record.statement_numbers(t);
    if (!std::equal(numbers.begin(), numbers.end(), other.begin(), other.end(),
                    [](const auto& a, const auto& b) { return std::memcmp(&a, &b, sizeof a) == 0; }))
      return static_cast<std::uint32_t>(numbers.size());
  }
  return 0;
}

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
    plan.affine_base.resize(plan.fixed_sums.size(), 0);
    plan.affine_stride.resize(plan.fixed_sums.size(), 0);
    find_affine(statement_end, operand_index, run, plan.affine_base.data() + run.fixed_at,
                plan.affine_stride.data() + run.fixed_at);
    run.numbers_stride = numbers_stride_of(record, run);
    plan.reverse.push_back(
        run.affine && run.store_mask != 0 ? record.sum_reverse(static_cast<std::uint32_t>(p)) : nullptr);
    plan.runs.push_back(run);
    s = last;
  }
  return plan;
}

// The first statement of sum run `run` in the reverse sweep: all its operands, the sum the
// run starts from included, with the run's adjoint `a`.
template <class T>
void sweep_first_of_run(const KernelArgs<T>& k_args, const SumRun& run, const T& a, T* adj) {
  for (std::uint32_t o = k_args.statement_end[run.first - 1]; o < k_args.statement_end[run.first]; ++o)
    adj[k_args.operand_index[o]] += k_args.partials[o] * a;
}

// The reverse sweep of one sum run, after the sweep has passed its last statement (whose
// adjoint is then complete): every statement of the run has that adjoint.
template <class T>
void sweep_sum_run(const KernelArgs<T>& k_args, const SumRun& run, const T* fixed_sums, T* adj) {
  const std::uint32_t* end = k_args.statement_end;
  const std::uint32_t* index = k_args.operand_index;
  const T* partial = k_args.partials;
  const T a = adj[run.last - 1];
  sweep_first_of_run(k_args, run, a, adj);
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

// The reverse sweep of an affine sum run whose partials were stored (packed, see SumRun),
// as sweep_sum_run: with the operands computed, each varying slot's loop is a stream.
template <class T>
void sweep_affine_sum_run(const KernelArgs<T>& k_args, const SumRun& run, const SumRunPlan<T>& plan, T* adj) {
  const std::uint32_t* end = k_args.statement_end;
  const T a = adj[run.last - 1];
  sweep_first_of_run(k_args, run, a, adj);
  const std::int64_t* base = plan.affine_base.data() + run.fixed_at;
  const std::int64_t* stride = plan.affine_stride.data() + run.fixed_at;
  const T* partial = k_args.partials + end[run.first];
  const std::uint32_t terms = run.last - run.first - 1, per_term = stored_per_term(run);
  std::uint32_t rank = 0;
  for (std::uint64_t m = run.store_mask; m != 0; m &= m - 1, ++rank) {
    const auto k = static_cast<std::uint32_t>(std::countr_zero(m));
    T* out = adj + base[k];
    const std::int64_t step = stride[k];
    const T* p = partial + rank;
    if (step == 1 && per_term == 1)
      for (std::uint32_t i = 0; i < terms; ++i) out[i] += p[i] * a;  // the common case, vectorized
    else
      for (std::uint32_t i = 0; i < terms; ++i) out[i * step] += p[i * per_term] * a;
  }
  const T* fixed_sums = plan.fixed_sums.data() + run.fixed_at;
  for (std::uint64_t m = run.fixed_mask; m != 0; m &= m - 1) {
    const auto k = static_cast<std::uint32_t>(std::countr_zero(m));
    adj[base[k]] += fixed_sums[k] * a;
  }
}

// Sets to zero the adjoints of statements 0 … end-1 that sweep_with_sum_runs reads or
// adds to: all but those inside the sum runs (the partial sums), which it never touches.
template <class T>
void clear_adjoints_for_sum_runs(T* adj, std::uint32_t end, const SumRunPlan<T>& plan) {
  std::uint32_t s = 0;
  for (const SumRun& run : plan.runs) {
    if (run.first >= end) break;
    std::fill(adj + s, adj + run.first + 1, T(0));  // up to the run's first statement
    s = std::min(run.last - 1, end);                // then from its last
  }
  std::fill(adj + s, adj + end, T(0));
}

// The reverse sweep from statement `from` down to statement 1 of a recording replayed
// with `plan` (arrays `a`, adjoints `adj`): plain stretches by sweep_plain, sum runs by
// sweep_sum_run or their own recomputing reverse. The adjoints of the partial sums inside
// a run are left as they were.
template <class T>
void sweep_with_sum_runs(const KernelArgs<T>& a, T* adj, std::uint32_t from, const SumRunPlan<T>& plan) {
  const std::uint32_t* end = a.statement_end;
  const std::uint32_t* index = a.operand_index;
  std::uint32_t s = from;
  for (std::size_t r = plan.runs.size(); r-- > 0;) {
    const SumRun& run = plan.runs[r];
    if (run.first > s) continue;  // after the output
    if (s > run.last - 1) sweep_plain(end, index, a.partials, adj, s, run.last - 1);
    if (plan.reverse[r] != nullptr)
      plan.reverse[r](a, run, plan, adj);
    else if (run.affine)
      sweep_affine_sum_run(a, run, plan, adj);
    else
      sweep_sum_run(a, run, plan.fixed_sums.data() + run.fixed_at, adj);
    s = run.first - 1;
  }
  sweep_plain(end, index, a.partials, adj, s, std::min(s, plan.leaves));
}

}  // namespace tapegrad::detail
