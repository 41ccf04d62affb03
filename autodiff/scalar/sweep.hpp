/// \file
/// The reverse sweep over the tape's flat arrays: its hot loop over statements with no
/// backward of their own (sweep_plain), and the sweep that runs the hooks between such
/// runs (sweep_with_hooks), and the row sweeps of vector mode, which carry several
/// outputs' adjoints or several directions' tangents at once. `end[s]` is one past
/// statement s's last operand; operand o is (index[o], partial[o]); adj holds the adjoints.
#pragma once

#include <algorithm>
#include <cstdint>

#include "along.hpp"
#include "hooks.hpp"
#include "operand_store.hpp"

namespace tapegrad::detail {

// The hot loop: statements s..stop+1 with no user-defined backward among them.
//
// Each operand adds partial·adj[s] into its Var's adjoint. Done naively in memory,
// two common patterns put a store-to-load round trip (several cycles) on the critical
// path of every statement:
//  - chains, where each statement is an operand of the next (`sum += …`): the
//    contribution to adj[s - 1] is read back one statement later;
//  - a Var used by many consecutive statements (a parameter such as `mu` in every
//    term of a sum, or x[i] shared by neighbouring terms): every statement updates the
//    same address.
// So two contributions stay in registers: `carry` for statement s - 1 and `hot_sum`
// for the most recently updated other Var (`hot`). Both are folded in when the sweep
// reaches their statement, and each adjoint is stored once when its statement is
// swept, so every adjoint is complete in memory afterwards. Statement 0 is the unused
// slot that constants point at, so `hot = 0` means "none" and flushing into it is
// harmless. A statement whose adjoint is zero is swept like any other: a partial that is
// not finite gives 0 · NaN = NaN there (one output's gradient; the row sweeps below do not).
template <class T>
void sweep_plain(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* adj,
                 std::uint32_t s, std::uint32_t stop) {
  std::uint32_t operand_end = end[s];
  T carry = T(0);
  std::uint32_t hot = 0;
  T hot_sum = T(0);
  for (; s > stop; --s) {
    const std::uint32_t operand_begin = end[s - 1];
    T a = adj[s] + carry;
    carry = T(0);
    if (hot == s) {
      a += hot_sum;
      hot = 0;
      hot_sum = T(0);
    }
    adj[s] = a;
    const std::uint32_t previous = s - 1;
    for (std::uint32_t o = operand_begin; o < operand_end; ++o) {
      const std::uint32_t i = index[o];
      const T d = partial[o] * a;
      if (i == previous) {
        carry += d;
      } else if (i == hot) {
        hot_sum += d;
      } else {
        adj[hot] += hot_sum;
        hot = i;
        hot_sum = d;
      }
    }
    operand_end = operand_begin;
  }
  adj[s] += carry;
  adj[hot] += hot_sum;
}

// Vector mode over the recorded partials, K values per statement (row s is
// [s·K, s·K + K)), K known only at run time: several outputs' adjoints in one reverse
// sweep, several directions' tangents in one forward sweep. Neither runs hooks: the
// caller checks that statements lo+1 … hi have none (BasicTape::has_hooks_between).
//
// Each direction travels as forward mode carries a tangent (along(), along.hpp): a zero
// adjoint or tangent adds nothing, even through a partial that is not finite (the
// exponent's partial log x · x^c of x^c at x < 0), so such a partial reaches only the
// directions that run through it instead of turning every other one into 0 · NaN. The
// partials do not change within a recording, so the caller tests them once
// (partials_finite() over operands end[lo] … end[hi] − 1) and says so in
// `all_partials_finite`: then every product is a plain one and the inner loops have no
// branch. False, the default, always gives the guarded sweep.
template <bool Guarded, class T>
void sweep_rows_reverse_as(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* adj,
                           std::size_t k, std::uint32_t hi, std::uint32_t lo) {
  for (std::uint32_t s = hi; s > lo; --s) {
    const T* a = adj + std::size_t{s} * k;
    bool zero = true;
    for (std::size_t j = 0; j < k && zero; ++j) zero = a[j] == T(0);
    if (zero) continue;
    for (std::uint32_t o = end[s - 1]; o < end[s]; ++o) {
      T* to = adj + std::size_t{index[o]} * k;
      const T d = partial[o];
      if constexpr (Guarded)
        for (std::size_t j = 0; j < k; ++j) to[j] += along(d, a[j]);
      else
        for (std::size_t j = 0; j < k; ++j) to[j] += d * a[j];
    }
  }
}
template <bool Guarded, class T>
void sweep_rows_forward_as(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* tangent,
                           std::size_t k, std::uint32_t lo, std::uint32_t hi) {
  for (std::uint32_t s = lo + 1; s <= hi; ++s) {
    if (end[s - 1] == end[s]) continue;
    T* t = tangent + std::size_t{s} * k;
    std::fill(t, t + k, T(0));
    for (std::uint32_t o = end[s - 1]; o < end[s]; ++o) {
      const T* from = tangent + std::size_t{index[o]} * k;
      const T d = partial[o];
      if constexpr (Guarded)
        for (std::size_t j = 0; j < k; ++j) t[j] += along(d, from[j]);
      else
        for (std::size_t j = 0; j < k; ++j) t[j] += d * from[j];
    }
  }
}

// Reverse: adj row of every operand of s += partial · adj row s, for s = hi … lo+1.
// A statement whose row is zero (no output reached it) is passed over.
template <class T>
void sweep_rows_reverse(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* adj,
                        std::size_t k, std::uint32_t hi, std::uint32_t lo, bool all_partials_finite = false) {
  if (all_partials_finite)
    sweep_rows_reverse_as<false>(end, index, partial, adj, k, hi, lo);
  else
    sweep_rows_reverse_as<true>(end, index, partial, adj, k, hi, lo);
}
// Forward: tangent row s = Σ partial · tangent row of each operand, for every statement
// lo+1 … hi with operands; a statement without operands (an input, a constant) keeps
// its row, the seed the caller wrote (zero for a constant). Row 0, which constants'
// operands point at, must be zero.
template <class T>
void sweep_rows_forward(const std::uint32_t* end, const std::uint32_t* index, const T* partial, T* tangent,
                        std::size_t k, std::uint32_t lo, std::uint32_t hi, bool all_partials_finite = false) {
  if (all_partials_finite)
    sweep_rows_forward_as<false>(end, index, partial, tangent, k, lo, hi);
  else
    sweep_rows_forward_as<true>(end, index, partial, tangent, k, lo, hi);
}
// Whether the partials of statements lo+1 … hi are all finite: what the row sweeps over
// that range take as `all_partials_finite`.
template <class T>
bool partials_finite_between(const std::uint32_t* end, const T* partial, std::uint32_t lo, std::uint32_t hi) {
  return partials_finite(partial + end[lo], std::size_t{end[hi]} - end[lo]);
}

// Sets adjoints lo..hi to zero, growing the array to `statements` entries (new ones 0)
// if it does not reach hi.
template <class T>
void zero_adjoints(FlatArray<T>& adjoints, std::uint32_t lo, std::uint32_t hi, std::uint32_t statements) {
  const std::size_t old_size = adjoints.size();
  if (old_size <= hi) {
    adjoints.resize_uninitialized(statements);
    std::fill(adjoints.data() + old_size, adjoints.data() + adjoints.size(), T(0));
  }
  std::fill(adjoints.data() + lo, adjoints.data() + hi + 1, T(0));
}

// Sweeps statements hi, hi-1, …, lo+1 of `tape`: runs of plain statements, and the hook
// of each statement with its own backward in between. A tensor operation's hook is
// skipped when nothing wrote its output's adjoint in this sweep (`sweep_number`).
template <class Tape, class T>
void sweep_with_hooks(Tape& tape, const RecordingArrays<const T>& recording, const HookList<T>& hooks, T* adj,
                      std::uint64_t sweep_number, std::uint32_t hi, std::uint32_t lo) {
  const Hook<T>* first_hook = hooks.data();
  const Hook<T>* next_hook = hooks.after(hi);
  std::uint32_t s = hi;
  while (true) {
    const bool hook_ahead = next_hook != first_hook && next_hook[-1].statement > lo;
    const std::uint32_t stop = hook_ahead ? next_hook[-1].statement : lo;
    sweep_plain(recording.statement_end, recording.operand_index, recording.operand_partial, adj, s, stop);
    if (!hook_ahead) return;
    --next_hook;
    if (next_hook->output == nullptr || next_hook->output->written_in(sweep_number))
      next_hook->backward(tape, next_hook->statement, next_hook->data);
    s = stop - 1;
  }
}

}  // namespace tapegrad::detail
