/// \file
/// The hot loop of the reverse sweep, over the tape's flat arrays: statement s, s-1, …,
/// stop+1, none of which has a backward of its own (BasicTape::sweep_without_finite_checks runs the
/// hooks between such runs). `end[s]` is one past statement s's last operand; operand o
/// is (index[o], partial[o]); adj holds the adjoints.
#pragma once

#include <cstdint>

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
// harmless.
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

}  // namespace tapegrad::detail
