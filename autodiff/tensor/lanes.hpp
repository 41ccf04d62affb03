/// \file
/// Lanes: what the function given to fused() and fused_sum() (fused.hpp) computes with.
/// One Lanes is a small fixed block of consecutive entries of a fused expression (128
/// bytes of values: a few SIMD registers) together with their forward-mode tangents: tangent[k] holds
/// d(value)/d(input k) entry by entry, for the inputs that need a gradient (bit k of `active`; an inactive
/// tangent is zero and is never computed). Each operation computes its value and its tangents with the same
/// rules as everything else (rules.hpp), in their vectorized array form where one exists
/// (array_rules.hpp). Every operation is inlined into the loop over the blocks, and its
/// fixed-size intermediates live in registers, so a fused expression is evaluated and
/// differentiated in one pass over memory.
///
/// Supported: + − * / and unary −, with Lanes or plain numbers on either side, and every
/// function of rules.hpp's lists, called unqualified (exp(x), square(x), pow(x, 2.5),
/// max(x, 0.0), clamp(x, lo, hi)) or as tapegrad::exp(x). Branching on values is not:
/// a Lanes holds many entries; write max, min, clamp, abs or relu instead.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../scalar/expr.hpp"
#include "../scalar/rules.hpp"
#include "array_rules.hpp"

namespace tapegrad {

/// A block of entries of a fused() function's inputs: their values and, for each of the N inputs that needs a
/// gradient, their tangents. The function receives Lanes and computes with them as with numbers (see
/// lanes.hpp for what is supported).
template <class T, std::size_t N>
struct Lanes {
  static_assert(N <= 32, "fused: at most 32 inputs");
  /// Entries per block (256 bytes of T).
  static constexpr Eigen::Index entries = 256 / sizeof(T);
  /// The number of inputs carried.
  static constexpr std::size_t width = N;
  /// The scalar type.
  using value_type = T;
  /// A block of values.
  using Block = Eigen::Array<T, entries, 1>;

  /// The entries' values.
  Block value;
  /// The entries' tangents, one block per input.
  std::array<Block, N> tangent;
  std::uint32_t active = 0;  ///< bit k: tangent[k] is computed (else it is zero)

  /// True when tangent k is computed (else it is zero).
  bool has(std::size_t k) const noexcept { return (active >> k) & 1u; }
};

namespace detail {

template <class X>
inline constexpr bool is_lanes = false;
template <class T, std::size_t N>
inline constexpr bool is_lanes<Lanes<T, N>> = true;

// An operand of a Lanes operation: a Lanes, or a number repeated over the block.
template <class T, std::size_t N>
const typename Lanes<T, N>::Block& lanes_values(const Lanes<T, N>& x) {
  return x.value;
}
template <class T, std::size_t N, Number S>
auto lanes_values(const S& c) {
  return Lanes<T, N>::Block::Constant(static_cast<T>(c));
}
template <class X>
std::uint32_t lanes_active(const X& x) {
  if constexpr (is_lanes<X>)
    return x.active;
  else
    return 0;
}
template <class T, class X>
T lanes_entry(const X& x, Eigen::Index i) {
  if constexpr (is_lanes<X>)
    return x.value[i];
  else
    return static_cast<T>(x);
}
// Tangent k of entry i; only called for an operand that carries tangent k.
template <class T, class X>
T lanes_tangent(const X& x, std::size_t k, Eigen::Index i) {
  if constexpr (is_lanes<X>)
    return x.tangent[k][i];
  else
    return T(0);
}
template <class X>
bool carries(const X& x, std::size_t k) {
  return (lanes_active(x) >> k) & 1u;
}

template <class Rule, class T, std::size_t N>
Lanes<T, N> lanes_unary(const Lanes<T, N>& x) {
  Lanes<T, N> y;
  y.active = x.active;
  if constexpr (HasArrayRule<Rule> && std::is_floating_point_v<T>) {
    y.value = ArrayRule<Rule>::value(x.value);
    fix_below_normal_range<Rule>(x.value, y.value);  // exact as the unfused operations
    for (std::size_t k = 0; k < N; ++k)
      if (x.has(k)) y.tangent[k] = ArrayRule<Rule>::contribution(x.tangent[k], x.value, y.value);
  } else {
    constexpr Eigen::Index n = Lanes<T, N>::entries;
    for (Eigen::Index i = 0; i < n; ++i) y.value[i] = Rule::value(x.value[i]);
    for (std::size_t k = 0; k < N; ++k) {
      if (!x.has(k)) continue;
      for (Eigen::Index i = 0; i < n; ++i)
        y.tangent[k][i] = x.tangent[k][i] * Rule::partial(x.value[i], y.value[i]);
    }
  }
  return y;
}

template <class Rule, class T, std::size_t N, class A, class B>
Lanes<T, N> lanes_binary(const A& a, const B& b) {
  Lanes<T, N> y;
  constexpr Eigen::Index n = Lanes<T, N>::entries;
  const auto& va = lanes_values<T, N>(a);
  const auto& vb = lanes_values<T, N>(b);
  y.active = lanes_active(a) | lanes_active(b);
  if constexpr (HasArrayRule<Rule> && std::is_floating_point_v<T>) {
    using Array = ArrayRule<Rule>;
    y.value = Array::value(va, vb);
    for (std::size_t k = 0; k < N; ++k) {
      const bool in_a = carries(a, k), in_b = carries(b, k);
      if constexpr (is_lanes<A> && is_lanes<B>) {
        if (in_a && in_b)
          y.tangent[k] =
              Array::to_a(a.tangent[k], va, vb, y.value) + Array::to_b(b.tangent[k], va, vb, y.value);
        else if (in_a)
          y.tangent[k] = Array::to_a(a.tangent[k], va, vb, y.value);
        else if (in_b)
          y.tangent[k] = Array::to_b(b.tangent[k], va, vb, y.value);
      } else if constexpr (is_lanes<A>) {
        if (in_a) y.tangent[k] = Array::to_a(a.tangent[k], va, vb, y.value);
      } else {
        if (in_b) y.tangent[k] = Array::to_b(b.tangent[k], va, vb, y.value);
      }
    }
  } else {
    for (Eigen::Index i = 0; i < n; ++i) y.value[i] = Rule::value(lanes_entry<T>(a, i), lanes_entry<T>(b, i));
    for (std::size_t k = 0; k < N; ++k) {
      if (!((y.active >> k) & 1u)) continue;
      for (Eigen::Index i = 0; i < n; ++i) {
        const T ai = lanes_entry<T>(a, i), bi = lanes_entry<T>(b, i);
        // Only the operands that carry tangent k contribute, as in the array form.
        T t(0);
        if (carries(a, k)) t += lanes_tangent<T>(a, k, i) * Rule::d_a(ai, bi, y.value[i]);
        if (carries(b, k)) t += lanes_tangent<T>(b, k, i) * Rule::d_b(ai, bi, y.value[i]);
        y.tangent[k][i] = t;
      }
    }
  }
  return y;
}

template <class Rule, class T, std::size_t N, class A, class B, class C>
Lanes<T, N> lanes_ternary(const A& a, const B& b, const C& c) {
  Lanes<T, N> y;
  constexpr Eigen::Index n = Lanes<T, N>::entries;
  y.active = lanes_active(a) | lanes_active(b) | lanes_active(c);
  for (Eigen::Index i = 0; i < n; ++i)
    y.value[i] = Rule::value(lanes_entry<T>(a, i), lanes_entry<T>(b, i), lanes_entry<T>(c, i));
  for (std::size_t k = 0; k < N; ++k) {
    if (!((y.active >> k) & 1u)) continue;
    for (Eigen::Index i = 0; i < n; ++i) {
      const T ai = lanes_entry<T>(a, i), bi = lanes_entry<T>(b, i), ci = lanes_entry<T>(c, i);
      T t(0);
      if (carries(a, k)) t += lanes_tangent<T>(a, k, i) * Rule::d_a(ai, bi, ci, y.value[i]);
      if (carries(b, k)) t += lanes_tangent<T>(b, k, i) * Rule::d_b(ai, bi, ci, y.value[i]);
      if (carries(c, k)) t += lanes_tangent<T>(c, k, i) * Rule::d_c(ai, bi, ci, y.value[i]);
      y.tangent[k][i] = t;
    }
  }
  return y;
}

// The Lanes type among a ternary function's operands (at least one is a Lanes), and
// whether every operand is that type or a plain number.
template <class A, class B, class C>
using LanesOf = std::conditional_t<is_lanes<A>, A, std::conditional_t<is_lanes<B>, B, C>>;
template <class X, class L>
concept LanesOperand = std::is_same_v<X, L> || Number<X>;

}  // namespace detail

/// −x.
template <class T, std::size_t N>
Lanes<T, N> operator-(const Lanes<T, N>& x) {
  return detail::lanes_unary<rules::Neg>(x);
}

#define TAPEGRAD_LANES_BINARY(op, Rule)                        \
  template <class T, std::size_t N>                            \
  Lanes<T, N> op(const Lanes<T, N>& a, const Lanes<T, N>& b) { \
    return detail::lanes_binary<rules::Rule, T, N>(a, b);      \
  }                                                            \
  template <class T, std::size_t N, Number S>                  \
  Lanes<T, N> op(const Lanes<T, N>& a, const S& b) {           \
    return detail::lanes_binary<rules::Rule, T, N>(a, b);      \
  }                                                            \
  template <class T, std::size_t N, Number S>                  \
  Lanes<T, N> op(const S& a, const Lanes<T, N>& b) {           \
    return detail::lanes_binary<rules::Rule, T, N>(a, b);      \
  }
TAPEGRAD_LANES_BINARY(operator+, Add)
TAPEGRAD_LANES_BINARY(operator-, Sub)
TAPEGRAD_LANES_BINARY(operator*, Mul)
TAPEGRAD_LANES_BINARY(operator/, Div)

#define TAPEGRAD_LANES_UNARY_FUNCTION(Rule, function) \
  template <class T, std::size_t N>                   \
  Lanes<T, N> function(const Lanes<T, N>& x) {        \
    return detail::lanes_unary<rules::Rule>(x);       \
  }
#define TAPEGRAD_LANES_BINARY_FUNCTION(Rule, function) TAPEGRAD_LANES_BINARY(function, Rule)
#define TAPEGRAD_LANES_TERNARY_FUNCTION(Rule, function)                                       \
  template <class A, class B, class C, class L = detail::LanesOf<A, B, C>>                    \
  requires detail::is_lanes<L> && detail::LanesOperand<A, L> && detail::LanesOperand<B, L> && \
      detail::LanesOperand<C, L>                                                              \
          L function(const A& a, const B& b, const C& c) {                                    \
    return detail::lanes_ternary<rules::Rule, typename L::value_type, L::width>(a, b, c);     \
  }
TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_LANES_UNARY_FUNCTION)
TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_LANES_BINARY_FUNCTION)
TAPEGRAD_TERNARY_FUNCTIONS(TAPEGRAD_LANES_TERNARY_FUNCTION)
#undef TAPEGRAD_LANES_UNARY_FUNCTION
#undef TAPEGRAD_LANES_BINARY_FUNCTION
#undef TAPEGRAD_LANES_TERNARY_FUNCTION
#undef TAPEGRAD_LANES_BINARY

}  // namespace tapegrad
