/// \file
/// The kernels of a replay's sum runs (sum_runs.hpp): each term of a run rebuilt from its
/// leaves with the chain leaf read as zero, the terms added in two interleaved sums
/// (replay_sum_run), and, for a cheap term, the reverse sweep that computes its partials
/// again (sum_run_reverse). Like statement_kernels.hpp, they know an expression only
/// through its protocol.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "../../support/inline.hpp"
#include "statement_kernels.hpp"
#include "sum_runs.hpp"

namespace tapegrad::detail {

// Whether E has the shape of one step of a sum (sum_runs.hpp): `chain + term`,
// `term + chain` or `chain - term` with `chain` a Var leaf; the operand slots that could
// be the chain (-1: none). Read from the expression protocol (rule, left_type,
// right_type, is_var_leaf), not from its types.
template <class E>
constexpr std::array<int, 2> sum_chain_slots() {
  if constexpr (requires {
                  typename E::rule;
                  typename E::left_type;
                  typename E::right_type;
                }) {
    using A = typename E::left_type;
    using B = typename E::right_type;
    constexpr bool a_leaf = requires { requires A::is_var_leaf; };
    constexpr bool b_leaf = requires { requires B::is_var_leaf; };
    if constexpr (std::is_same_v<typename E::rule, rules::Add>)
      return {a_leaf ? 0 : -1, b_leaf ? static_cast<int>(A::max_operands) : -1};
    else if constexpr (std::is_same_v<typename E::rule, rules::Sub>)
      return {a_leaf ? 0 : -1, -1};
  }
  return {-1, -1};
}
template <class E>
inline constexpr bool is_sum_shaped = sum_chain_slots<E>()[0] >= 0 || sum_chain_slots<E>()[1] >= 0;

// Where a term of an affine sum run (sum_runs.hpp) takes its leaves: operand slot k of
// term i is base[k] + i·stride[k], computed rather than read from the tape; the chain
// slot, known when compiling, reads statement 0 (zero).
// With UnitStride, every slot but the chain has stride 1 (term i reads base[k] + i).
template <class T, int ChainSlot, bool UnitStride = false>
struct AffineReplaySource : ReplaySource<T> {
  const std::int64_t* base;
  const std::int64_t* stride;
  std::int64_t term;
  // The value is read through a pointer rather than values[index]: the compiler can then
  // see that consecutive terms read consecutive values (and vectorize), which a 32-bit
  // index that might wrap around hides from it.
  void next_leaf(std::uint32_t& index, T& value) {
    ++this->next_node;
    const std::uint16_t slot = this->next_slot++;
    if (slot == ChainSlot) {
      index = 0;
      value = this->values[0];
      return;
    }
    const std::int64_t offset = UnitStride ? term : term * stride[slot];
    index = static_cast<std::uint32_t>(base[slot] + offset);
    value = (this->values + base[slot])[offset];
  }
};

// Calls f(std::integral_constant<int, slot>) with the chain slot of a run of E's
// statements (one of sum_chain_slots<E>()), so that kernels know it when compiling.
template <class E, class F>
decltype(auto) with_chain_slot(int chain_slot, F&& f) {
  constexpr auto slots = sum_chain_slots<E>();
  if constexpr (slots[0] >= 0 && slots[1] >= 0)
    return chain_slot == slots[0] ? f(std::integral_constant<int, slots[0]>{})
                                  : f(std::integral_constant<int, slots[1]>{});
  else
    return f(std::integral_constant<int, std::max(slots[0], slots[1])>{});
}

// What a sum run's term kernel does with each term after the first.
enum class TermMode {
  Indexed,      // operands read from the tape; varying slots' partials stored, fixed ones summed
  Affine,       // the same with operands computed (an affine run)
  AffineValue,  // operands computed, values only: the reverse computes the partials again
};

// One term of a sum run: statement s, the term_index-th after the first, rebuilt with
// the chain read as zero; its value added to term_sum, its partials stored (if Stores)
// or summed into fixed_sum as `Mode` says. Chain is the chain slot when the Mode is
// affine. False if a kink changed piece (said in `change`).
template <class E, TermMode Mode, int Chain, bool Stores, bool Fixed, class T,
          std::size_t Width = E::max_operands>
TAPEGRAD_ALWAYS_INLINE inline bool sum_run_term(const KernelArgs<T>& a, const SumRun& run, std::uint32_t s,
                                                std::uint32_t term_index, const T* numbers,
                                                const std::int64_t* base, const std::int64_t* stride,
                                                const std::uint32_t* rank, T& term_sum, T (&fixed_sum)[Width],
                                                ReplayChange& change) {
  const std::uint32_t begin = a.statement_end[run.first] + term_index * static_cast<std::uint32_t>(Width);
  using Source = std::conditional_t<Mode == TermMode::Indexed, ReplaySource<T>, AffineReplaySource<T, Chain>>;
  Source source{};
  source.values = a.values;
  source.operands = a.operand_index + begin;
  source.numbers = numbers;
  source.generation = a.generation;
  source.zero_slot = run.chain_slot;
  if constexpr (Mode != TermMode::Indexed) {
    source.base = base;
    source.stride = stride;
    source.term = term_index;
  }
  const E e(RebuildTag{}, source);
  if (source.changed) [[unlikely]]
    return source.report(change, s);
  if constexpr (Mode != TermMode::AffineValue) {
    T partial[Width];
    std::uint32_t index[Width];  // propagate() writes the indices too; these are not kept
    e.template propagate<0>(OperandSink<T>{partial, index, a.generation, nullptr}, T(1));
    for (std::size_t k = 0; k < Width; ++k) {
      if (static_cast<int>(k) == Chain) continue;
      // Without fixed slots, every slot but the chain is stored; without stored ones,
      // every such slot is fixed: then the masks need not be read.
      if constexpr (Stores) {
        if (!Fixed || (run.store_mask >> k & 1)) {
          if constexpr (Mode == TermMode::Indexed)
            a.partials[begin + k] = partial[k];
          else if constexpr (!Fixed)  // packed: the slots in order, the chain's left out
            a.partials[a.statement_end[run.first] + term_index * (Width - 1) +
                       (k - (static_cast<int>(k) > Chain))] = partial[k];
          else
            a.partials[a.statement_end[run.first] + term_index * stored_per_term(run) + rank[k]] = partial[k];
        }
      }
      // Unconditional, so that the sums stay in registers; the other slots' are unused.
      if constexpr (Fixed) fixed_sum[k] += (!Stores || (run.fixed_mask >> k & 1)) ? partial[k] : T(0);
    }
  }
  term_sum += e.value();
  return true;
}

// Statements first+1 … last-1 of a sum run, in two interleaved sums (see
// replay_sum_run) added to term_sum (which holds the first statement's term) and to
// fixed_sum, so that one term need not wait for the addition of the one before.
template <class E, TermMode Mode, int Chain, bool Stores, bool Fixed, class T,
          std::size_t Width = E::max_operands>
TAPEGRAD_FLATTEN bool sum_run_terms(const KernelArgs<T>& a, const SumRun& run, const SumRunPlan<T>& plan,
                                    T& term_sum, T (&fixed_sum)[Width], ReplayChange& change) {
  // Local sums: the caller's might alias the partials stored, and would then be written
  // to memory after every term.
  T term[2] = {term_sum, T(0)};
  T fixed[2][Width] = {};
  // Copies, so that the compiler need not read them again after every store of a partial.
  const SumRun r = run;
  std::int64_t base[Width] = {}, stride[Width] = {};
  std::uint32_t rank[Width] = {};  // where slot k's partial goes among a term's stored ones
  if constexpr (Mode != TermMode::Indexed)
    for (std::size_t k = 0; k < Width; ++k) {
      base[k] = plan.affine_base[r.fixed_at + k];
      stride[k] = plan.affine_stride[r.fixed_at + k];
      rank[k] = static_cast<std::uint32_t>(std::popcount(r.store_mask & ((std::uint64_t{1} << k) - 1)));
    }
  // Statements of one program have the same number of numbers, or all the same numbers
  // (numbers_stride 0).
  const T* numbers = a.numbers + a.numbers_begin[r.first + 1];
  const std::uint32_t numbers_stride = r.numbers_stride;
  const std::uint32_t terms = r.last - r.first - 1;
  // Two terms per step, written out rather than through a lambda, which the compiler may
  // leave uninlined (as it does a third and fourth call: four sums measured slower).
  std::uint32_t i = 0;
  for (; i + 1 < terms; i += 2) {
    if (!sum_run_term<E, Mode, Chain, Stores, Fixed>(a, r, r.first + 1 + i, i, numbers + i * numbers_stride,
                                                     base, stride, rank, term[0], fixed[0], change) ||
        !sum_run_term<E, Mode, Chain, Stores, Fixed>(a, r, r.first + 2 + i, i + 1,
                                                     numbers + (i + 1) * numbers_stride, base, stride, rank,
                                                     term[1], fixed[1], change))
      return false;
  }
  if (i < terms &&
      !sum_run_term<E, Mode, Chain, Stores, Fixed>(a, r, r.first + 1 + i, i, numbers + i * numbers_stride,
                                                   base, stride, rank, term[1], fixed[1], change))
    return false;
  term_sum = term[0] + term[1];
  for (std::size_t k = 0; k < Width; ++k) fixed_sum[k] = fixed[0][k] + fixed[1][k];
  return true;
}

// Replays sum run `run` (sum_runs.hpp), whose statements all have expression type E:
// each term is E rebuilt with the chain leaf read as zero; the terms are added in two
// interleaved sums onto the value the run starts from, which becomes the last
// statement's value. The first statement's partials are all stored; after it, the
// partials of the slots that vary are stored and those of the fixed slots summed into
// the plan's fixed_sums — or, in a run that recomputes, neither. The partial sums in
// between are not computed.
template <class E, class T>
bool replay_sum_run(const KernelArgs<T>& a, const SumRun& run, SumRunPlan<T>& plan, ReplayChange& change) {
  constexpr std::size_t width = E::max_operands;
  T term = T(0);
  T fixed[width] = {};
  {
    // The first statement: every partial stored, its chain (the start) read as zero too.
    const std::uint32_t begin = a.statement_end[run.first - 1];
    ReplaySource<T> source{a.values, a.operand_index + begin, a.numbers + a.numbers_begin[run.first],
                           a.generation};
    source.zero_slot = run.chain_slot;
    const E e(RebuildTag{}, source);
    if (source.changed) [[unlikely]]
      return source.report(change, run.first);
    T partial[width];
    std::uint32_t index[width];  // the tape's indices stay: the chain's is the start's
    e.template propagate<0>(OperandSink<T>{partial, index, a.generation, nullptr}, T(1));
    for (std::size_t k = 0; k < width; ++k) a.partials[begin + k] = partial[k];
    term = e.value();
  }
  const bool done = [&] {
    if (!run.affine)
      return sum_run_terms<E, TermMode::Indexed, -1, true, true>(a, run, plan, term, fixed, change);
    return with_chain_slot<E>(run.chain_slot, [&]<int Chain>(std::integral_constant<int, Chain>) {
      if (run.store_mask != 0 && E::cheap_to_recompute)  // the planner gave it sum_run_reverse
        return sum_run_terms<E, TermMode::AffineValue, Chain, false, false>(a, run, plan, term, fixed,
                                                                            change);
      if (run.fixed_mask == 0)
        return sum_run_terms<E, TermMode::Affine, Chain, true, false>(a, run, plan, term, fixed, change);
      if (run.store_mask == 0)
        return sum_run_terms<E, TermMode::Affine, Chain, false, true>(a, run, plan, term, fixed, change);
      return sum_run_terms<E, TermMode::Affine, Chain, true, true>(a, run, plan, term, fixed, change);
    });
  }();
  if (!done) return false;
  std::copy_n(fixed, width, plan.fixed_sums.data() + run.fixed_at);
  const T start = a.values[a.operand_index[a.statement_end[run.first - 1] + run.chain_slot]];
  a.values[run.last - 1] = start + term;
  return true;
}

template <class T>
using SumRunKernel = bool (*)(const KernelArgs<T>&, const SumRun&, SumRunPlan<T>&, ReplayChange&);

// Term i of an affine sum run rebuilt and propagated from `adjoint`: partial[k] is
// adjoint times the term's partial for slot k. The term number is 64-bit and signed, so
// that the compiler can see that consecutive terms read consecutive values; `flatten`,
// because it otherwise may leave the expression's constructor uninlined.
template <class E, int Chain, bool Unit, class T, std::size_t Width = E::max_operands>
TAPEGRAD_ALWAYS_INLINE_FLATTEN inline void recomputed_partials(const KernelArgs<T>& a, const T* numbers,
                                                               const std::int64_t* base,
                                                               const std::int64_t* stride, std::int64_t i,
                                                               const T& adjoint, T (&partial)[Width]) {
  AffineReplaySource<T, Chain, Unit> source{};
  source.values = a.values;
  source.numbers = numbers;
  source.generation = a.generation;
  source.base = base;
  source.stride = stride;
  source.term = i;
  const E e(RebuildTag{}, source);  // no kink to check: a cheap expression has none
  std::uint32_t index[Width];
  e.template propagate<0>(OperandSink<T>{partial, index, a.generation, nullptr}, adjoint);
}

// The reverse sweep of a sum run that recomputes (sum_runs.hpp), after the sweep has
// passed its last statement: the first statement from its stored partials, then every
// later term rebuilt at the values its replay read and propagated from the run's
// adjoint, adding into the adjoints of the operands that vary and summing the fixed
// ones' (added once at the end: adding each into memory would wait on the store before).
template <class E, int Chain, bool HasFixed, bool Blocked, bool Unit, class T>
void sum_run_reverse_with(const KernelArgs<T>& a, const SumRun& run, const SumRunPlan<T>& plan, T* adj) {
  constexpr std::size_t width = E::max_operands;
  const T adjoint = adj[run.last - 1];
  sweep_first_of_run(a, run, adjoint, adj);
  const SumRun r = run;
  std::int64_t base[width], stride[width];
  for (std::size_t k = 0; k < width; ++k) {
    base[k] = plan.affine_base[r.fixed_at + k];
    stride[k] = plan.affine_stride[r.fixed_at + k];
  }
  const T* numbers = a.numbers + a.numbers_begin[r.first + 1];
  T fixed[width] = {};
  // With several varying slots (Blocked), a block of terms at a time: their partials
  // into `block`, then added to each slot's adjoints in one stream per slot. Adding them
  // term by term would make each adjoint wait on the store before it whenever
  // neighbouring terms share an operand (Rosenbrock's x[i] is in terms i-1 and i, twice
  // in i). With one, term by term: the extra pass would cost more.
  constexpr std::uint32_t block_terms = Blocked ? 128 : 1;
  T block[width][block_terms];
  const std::uint32_t terms = r.last - r.first - 1;
  auto term_partials = [&](std::int64_t i, T(&partial)[width]) {
    recomputed_partials<E, Chain, Unit>(a, numbers + (Unit ? 0 : i * r.numbers_stride), base, stride, i,
                                        adjoint, partial);
  };
  if constexpr (!Blocked) {
    for (std::uint32_t i = 0; i < terms; ++i) {
      T partial[width];
      term_partials(i, partial);
      for (std::size_t k = 0; k < width; ++k) {
        if (static_cast<int>(k) == Chain) continue;
        if (HasFixed && (r.fixed_mask >> k & 1))
          fixed[k] += partial[k];
        else
          adj[base[k] + static_cast<std::int64_t>(i) * stride[k]] += partial[k];
      }
    }
  } else {
    for (std::uint32_t i0 = 0; i0 < terms; i0 += block_terms) {
      const std::int64_t n = std::min(block_terms, terms - i0);
      for (std::int64_t j = 0; j < n; ++j) {
        T partial[width];
        term_partials(std::int64_t{i0} + j, partial);
        for (std::size_t k = 0; k < width; ++k) {
          if (static_cast<int>(k) == Chain) continue;
          if (HasFixed && (r.fixed_mask >> k & 1))
            fixed[k] += partial[k];
          else
            block[k][j] = partial[k];
        }
      }
      for (std::size_t k = 0; k < width; ++k) {
        if (static_cast<int>(k) == Chain || (HasFixed && (r.fixed_mask >> k & 1))) continue;
        T* out = adj + base[k] + static_cast<std::int64_t>(i0) * stride[k];
        if (stride[k] == 1)
          for (std::int64_t j = 0; j < n; ++j) out[j] += block[k][j];
        else
          for (std::int64_t j = 0; j < n; ++j) out[j * stride[k]] += block[k][j];
      }
    }
  }
  if constexpr (HasFixed)
    for (std::size_t k = 0; k < width; ++k)
      if (r.fixed_mask >> k & 1) adj[base[k]] += fixed[k];
}
template <class E, class T>
void sum_run_reverse(const KernelArgs<T>& a, const SumRun& run, const SumRunPlan<T>& plan, T* adj) {
  with_chain_slot<E>(run.chain_slot, [&]<int Chain>(std::integral_constant<int, Chain>) {
    const bool several = stored_per_term(run) > 1;
    bool unit = run.fixed_mask == 0 && run.numbers_stride == 0;
    for (std::size_t k = 0; k < E::max_operands; ++k)
      unit = unit && (static_cast<int>(k) == Chain || plan.affine_stride[run.fixed_at + k] == 1);
    if (run.fixed_mask != 0)
      several ? sum_run_reverse_with<E, Chain, true, true, false>(a, run, plan, adj)
              : sum_run_reverse_with<E, Chain, true, false, false>(a, run, plan, adj);
    else if (several && unit)
      sum_run_reverse_with<E, Chain, false, true, true>(a, run, plan, adj);
    else
      several ? sum_run_reverse_with<E, Chain, false, true, false>(a, run, plan, adj)
              : sum_run_reverse_with<E, Chain, false, false, false>(a, run, plan, adj);
  });
}

// The kernels a sum-shaped program gets (ReplayRecord keeps one set per program).
template <class T>
struct SumKernels {
  SumRunKernel<T> forward = nullptr;   // null: not the shape of a sum
  SumRunReverse<T> reverse = nullptr;  // null: too costly to compute twice
  std::array<int, 2> chain_slots{-1, -1};
};
template <class E, class T>
constexpr SumKernels<T> sum_kernels_for() {
  SumKernels<T> kernels;
  if constexpr (is_sum_shaped<E>) {
    kernels = {&replay_sum_run<E, T>, nullptr, sum_chain_slots<E>()};
    if constexpr (E::cheap_to_recompute) kernels.reverse = &sum_run_reverse<E, T>;
  }
  return kernels;
}

}  // namespace tapegrad::detail
