/// \file
/// The arithmetic of binomial checkpointing (Griewank 1992; Griewank and Walther's
/// `revolve`, 2000): how to reverse a loop of l steps keeping at most s states, the
/// start among them, with the fewest steps evaluated again.
///
/// With s states kept and every step evaluated again at most r times, at most
/// β(s, r) = C(s + r, s) steps can be reversed. For l steps, let r be the least with
/// β(s, r) ≥ l; the fewest steps evaluated without recording ("advances", the first
/// forward pass included) are then
///
///     t(l, s) = r·l − β(s + 1, r − 1)
///
/// and the reversal records each step once more, l in all. The schedule that reaches t
/// is recursive: from a kept state a, advance j steps, keep that state too, reverse the
/// part after it with one state fewer, then the j steps before it with as many as
/// before. revolve_split() gives an optimal j; tests/autodiff/memory/test_revolve.cpp
/// checks it against the minimum over every j, found by dynamic programming.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tapegrad {

namespace detail {
// β(s, r) = C(s + r, r), saturated at the largest uint64 (any such value exceeds every
// loop length this file is asked about).
constexpr std::uint64_t revolve_beta(std::uint64_t s, std::uint64_t r) noexcept {
  constexpr std::uint64_t saturated = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t c = 1;
  for (std::uint64_t i = 1; i <= r; ++i) {
    // c·(s + i)/i is C(s + i, i): exact at every step.
    if (c > saturated / (s + i)) return saturated;
    c = c * (s + i) / i;
  }
  return c;
}

// The least r with β(s, r) ≥ steps, for 1 ≤ s ≤ steps ≤ 2³¹: β(s, r) grows from β(s, r − 1)
// by (s + r)/r, exactly, and stays below 2⁶³ while it is below steps.
constexpr std::uint64_t revolve_repetitions(std::uint64_t steps, std::uint64_t s) noexcept {
  std::uint64_t r = 0;
  for (std::uint64_t beta = 1; beta < steps;) {
    ++r;
    beta = beta * (s + r) / r;
  }
  return r;
}

// How far from a kept state to keep the next one, reversing `steps` ≥ 2 steps with `s` ≥ 2
// states (the start counted): the largest j of an interval of optimal first splits.
constexpr std::uint64_t revolve_split(std::uint64_t steps, std::uint64_t s) noexcept {
  const std::uint64_t r = revolve_repetitions(steps, s);
  const std::uint64_t left = revolve_beta(s, r - 1);             // what r − 1 repetitions reverse
  const std::uint64_t right_least = revolve_beta(s - 1, r - 1);  // the right part needs more than this
  return std::min({left, steps - std::min(steps - 1, right_least), steps - 1});
}
}  // namespace detail

/// The fewest step evaluations without recording (the first forward pass included) with
/// which a loop of `steps` steps is reversed keeping at most `snapshots` ≥ 1 states, the
/// start among them: r·steps − β(snapshots + 1, r − 1), r the least with
/// β(snapshots, r) ≥ steps (see revolve.hpp). checkpointed_loop evaluates exactly
/// this many, plus `steps` recorded evaluations.
constexpr std::uint64_t revolve_advances(std::uint64_t steps, std::uint64_t snapshots) noexcept {
  if (steps <= 1) return 0;
  snapshots = std::clamp<std::uint64_t>(snapshots, 1, steps);
  if (snapshots == 1) return steps * (steps - 1) / 2;  // the formula with r = steps − 1, without its loops
  const std::uint64_t r = detail::revolve_repetitions(steps, snapshots);
  return r * steps - detail::revolve_beta(snapshots + 1, r - 1);
}

}  // namespace tapegrad
