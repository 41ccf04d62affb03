/// \file
/// Array forms of the scalar rules (rules.hpp) for the elementwise tensor operations:
/// the same value and partials written as Eigen array expressions, so a whole column is
/// computed with SIMD instructions (Eigen's vectorized exp, log, tanh, logistic…).
///
/// A rule without an ArrayRule specialization still works: the tensor operation falls
/// back to calling the scalar rule element by element. Each form here must agree with
/// its scalar rule, including the conventions at kinks (abs'(0) = 0, relu'(0) = 0);
/// tests/autodiff/tensor/test_array_rules.cpp compares them point by point.
///
/// Unary:  value(x), and contribution(dout, x, y) = dout · dy/dx given y = value(x).
/// Binary: value(a, b), and to_a / to_b(dout, a, b, y) = dout · dy/da, dout · dy/db.
/// Arguments are Eigen array expressions of one column (or constant columns for a
/// broadcast operand); results are expressions, evaluated by the caller.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <type_traits>

#include "../scalar/rules.hpp"

namespace tapegrad::detail {

template <class Rule>
struct ArrayRule;  // undefined: no array form, the scalar rule is used

template <class Rule>
concept HasArrayRule = requires {
  sizeof(ArrayRule<Rule>);
};

// ------------------------------------------------------------------ unary

template <>
struct ArrayRule<rules::Neg> {
  static auto value(const auto& x) { return -x; }
  static auto contribution(const auto& dout, const auto&, const auto&) { return -dout; }
};
// Rules whose array form clamps its argument at the bottom of the normal range: Eigen's
// vectorized exp (SSE builds) gives exp(−1000) = 2.9e−39 in float and 5.6e−309 in double,
// where the answer is 0 (or, just below the normal range, a subnormal number). The
// tensor operation recomputes the entries below `exact_below` with the scalar rule
// (softmax, which only needs the zeros, sets them: losses.hpp).
template <class Rule>
concept ClampsBelowNormalRange = requires {
  ArrayRule<Rule>::clamps_below_normal_range;
};
template <class T>
T exact_below() {
  static const T below = std::log(std::numeric_limits<T>::min());
  return below;
}

// y = value(x) computed by Rule's array form: the entries of x below exact_below take
// the scalar rule's value instead. A vectorized minimum first, because a loop that may
// call the scalar rule does not vectorize and cost as much as the exp on every call.
template <class Rule, class X, class Y>
void fix_below_normal_range(const X& x, Y&& y) {
  using T = typename X::Scalar;
  if constexpr (ClampsBelowNormalRange<Rule> && std::is_floating_point_v<T>) {
    const T below = exact_below<T>();
    if (x.size() > 0 && x.minCoeff() < below) [[unlikely]]
      for (Eigen::Index i = 0; i < x.size(); ++i)
        if (x[i] < below) y[i] = Rule::value(x[i]);
  }
}

template <>
struct ArrayRule<rules::Exp> {
  static constexpr bool clamps_below_normal_range = true;
  static auto value(const auto& x) { return x.exp(); }
  static auto contribution(const auto& dout, const auto&, const auto& y) { return dout * y; }
};
template <>
struct ArrayRule<rules::Log> {
  static auto value(const auto& x) { return x.log(); }
  static auto contribution(const auto& dout, const auto& x, const auto&) { return dout / x; }
};
template <>
struct ArrayRule<rules::Sqrt> {
  static auto value(const auto& x) { return x.sqrt(); }
  static auto contribution(const auto& dout, const auto&, const auto& y) {
    using T = typename std::decay_t<decltype(y)>::Scalar;
    return T(0.5) * dout / y;
  }
};
template <>
struct ArrayRule<rules::Square> {
  static auto value(const auto& x) { return x.square(); }
  static auto contribution(const auto& dout, const auto& x, const auto&) {
    using T = typename std::decay_t<decltype(x)>::Scalar;
    return T(2) * dout * x;
  }
};
template <>
struct ArrayRule<rules::Abs> {
  static auto value(const auto& x) { return x.abs(); }
  static auto contribution(const auto& dout, const auto& x, const auto&) { return dout * x.sign(); }
};
template <>
struct ArrayRule<rules::Tanh> {
  static auto value(const auto& x) { return x.tanh(); }
  static auto contribution(const auto& dout, const auto&, const auto& y) {
    using T = typename std::decay_t<decltype(y)>::Scalar;
    return dout * (T(1) - y.square());
  }
};
template <>
struct ArrayRule<rules::Sigmoid> {
  // Eigen's logistic saturates to exactly 1 instead of overflowing; at the other end it
  // is exp(x), clamped as exp is.
  static constexpr bool clamps_below_normal_range = true;
  static auto value(const auto& x) { return x.logistic(); }
  static auto contribution(const auto& dout, const auto&, const auto& y) {
    using T = typename std::decay_t<decltype(y)>::Scalar;
    return dout * y * (T(1) - y);
  }
};
template <>
struct ArrayRule<rules::Relu> {
  static auto value(const auto& x) {
    using T = typename std::decay_t<decltype(x)>::Scalar;
    return x.max(T(0));
  }
  static auto contribution(const auto& dout, const auto& x, const auto&) {
    using T = typename std::decay_t<decltype(x)>::Scalar;
    return (x > T(0)).select(dout, T(0));
  }
};

// ------------------------------------------------------------------ binary

template <>
struct ArrayRule<rules::Add> {
  static auto value(const auto& a, const auto& b) { return a + b; }
  static auto to_a(const auto& dout, const auto&, const auto&, const auto&) { return dout; }
  static auto to_b(const auto& dout, const auto&, const auto&, const auto&) { return dout; }
};
template <>
struct ArrayRule<rules::Sub> {
  static auto value(const auto& a, const auto& b) { return a - b; }
  static auto to_a(const auto& dout, const auto&, const auto&, const auto&) { return dout; }
  static auto to_b(const auto& dout, const auto&, const auto&, const auto&) { return -dout; }
};
template <>
struct ArrayRule<rules::Mul> {
  static auto value(const auto& a, const auto& b) { return a * b; }
  static auto to_a(const auto& dout, const auto&, const auto& b, const auto&) { return dout * b; }
  static auto to_b(const auto& dout, const auto& a, const auto&, const auto&) { return dout * a; }
};
template <>
struct ArrayRule<rules::Div> {
  static auto value(const auto& a, const auto& b) { return a / b; }
  static auto to_a(const auto& dout, const auto&, const auto& b, const auto&) { return dout / b; }
  static auto to_b(const auto& dout, const auto&, const auto& b, const auto& y) { return -dout * y / b; }
};

}  // namespace tapegrad::detail
