// The operations on Vars and expressions: + - * / (with numbers on either side), unary
// minus, the math functions, and value comparisons. Each builds an expression node over
// a rule from rules.hpp; kinks and edge cases are documented there.
//
// Comparisons compare values and return bool, so ordinary C++ `if` and `while` on Vars
// build graphs that follow the branch actually taken.
#pragma once

#include <compare>
#include <type_traits>

#include "expr.hpp"
#include "rules.hpp"
#include "var.hpp"

namespace tapegrad {

namespace detail {

// An operand pair that forms a binary operation: two expressions of one value type,
// or an expression and a number.
template <class A, class B>
concept BinaryOperands = (Expression<A> && Expression<B> &&
                          std::is_same_v<typename A::value_type, typename B::value_type>) ||
                         (Expression<A> && Number<B>) || (Number<A> && Expression<B>);

template <class A, class B>
using common_value_t = typename std::conditional_t<Expression<A>, A, B>::value_type;

// A number becomes a Constant of the expression's value type; an expression stays itself.
template <class T, class X>
auto lift(const X& x) {
  if constexpr (Expression<X>)
    return x;
  else
    return Constant<T>(static_cast<T>(x));
}

template <class Rule, class A, class B>
auto binary(const A& a, const B& b) {
  using T = common_value_t<A, B>;
  using LA = decltype(lift<T>(a));
  using LB = decltype(lift<T>(b));
  return BinaryExpr<Rule, LA, LB>(lift<T>(a), lift<T>(b));
}

template <class T, class X>
T value_of(const X& x) {
  if constexpr (Expression<X>)
    return x.value();
  else
    return static_cast<T>(x);
}

}  // namespace detail

// ------------------------------------------------------------------ arithmetic

template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator+(const A& a, const B& b) { return detail::binary<rules::Add>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator-(const A& a, const B& b) { return detail::binary<rules::Sub>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator*(const A& a, const B& b) { return detail::binary<rules::Mul>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator/(const A& a, const B& b) { return detail::binary<rules::Div>(a, b); }

template <Expression A>
auto operator-(const A& a) {
  return UnaryExpr<rules::Neg, A>(a);
}
template <Expression A>
const A& operator+(const A& a) {
  return a;
}

// ------------------------------------------------------------- unary functions

template <Expression A>
auto exp(const A& a) {
  return UnaryExpr<rules::Exp, A>(a);
}
template <Expression A>
auto log(const A& a) {
  return UnaryExpr<rules::Log, A>(a);
}
template <Expression A>
auto log1p(const A& a) {
  return UnaryExpr<rules::Log1p, A>(a);
}
template <Expression A>
auto expm1(const A& a) {
  return UnaryExpr<rules::Expm1, A>(a);
}
template <Expression A>
auto sqrt(const A& a) {
  return UnaryExpr<rules::Sqrt, A>(a);
}
template <Expression A>
auto cbrt(const A& a) {
  return UnaryExpr<rules::Cbrt, A>(a);
}
template <Expression A>
auto square(const A& a) {
  return UnaryExpr<rules::Square, A>(a);
}
template <Expression A>
auto abs(const A& a) {
  return UnaryExpr<rules::Abs, A>(a);
}
template <Expression A>
auto fabs(const A& a) {
  return UnaryExpr<rules::Abs, A>(a);
}
template <Expression A>
auto sin(const A& a) {
  return UnaryExpr<rules::Sin, A>(a);
}
template <Expression A>
auto cos(const A& a) {
  return UnaryExpr<rules::Cos, A>(a);
}
template <Expression A>
auto tan(const A& a) {
  return UnaryExpr<rules::Tan, A>(a);
}
template <Expression A>
auto asin(const A& a) {
  return UnaryExpr<rules::Asin, A>(a);
}
template <Expression A>
auto acos(const A& a) {
  return UnaryExpr<rules::Acos, A>(a);
}
template <Expression A>
auto atan(const A& a) {
  return UnaryExpr<rules::Atan, A>(a);
}
template <Expression A>
auto sinh(const A& a) {
  return UnaryExpr<rules::Sinh, A>(a);
}
template <Expression A>
auto cosh(const A& a) {
  return UnaryExpr<rules::Cosh, A>(a);
}
template <Expression A>
auto tanh(const A& a) {
  return UnaryExpr<rules::Tanh, A>(a);
}
template <Expression A>
auto sigmoid(const A& a) {
  return UnaryExpr<rules::Sigmoid, A>(a);
}
template <Expression A>
auto softplus(const A& a) {
  return UnaryExpr<rules::Softplus, A>(a);
}
template <Expression A>
auto relu(const A& a) {
  return UnaryExpr<rules::Relu, A>(a);
}
template <Expression A>
auto erf(const A& a) {
  return UnaryExpr<rules::Erf, A>(a);
}

// ------------------------------------------------------------ binary functions

template <class A, class B>
requires detail::BinaryOperands<A, B>
auto pow(const A& a, const B& b) { return detail::binary<rules::Pow>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto atan2(const A& a, const B& b) { return detail::binary<rules::Atan2>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto hypot(const A& a, const B& b) { return detail::binary<rules::Hypot>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto max(const A& a, const B& b) { return detail::binary<rules::Max>(a, b); }
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto min(const A& a, const B& b) { return detail::binary<rules::Min>(a, b); }

// More specialized than std::max/std::min(const T&, const T&), so generic code that
// says `using std::max;` still gets the differentiable versions for two Vars.
template <class T>
auto max(const BasicVar<T>& a, const BasicVar<T>& b) {
  return detail::binary<rules::Max>(a, b);
}
template <class T>
auto min(const BasicVar<T>& a, const BasicVar<T>& b) {
  return detail::binary<rules::Min>(a, b);
}

// ----------------------------------------------------------------- comparisons

template <class A, class B>
requires detail::BinaryOperands<A, B>
bool operator==(const A& a, const B& b) {
  using T = detail::common_value_t<A, B>;
  return detail::value_of<T>(a) == detail::value_of<T>(b);
}
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator<=>(const A& a, const B& b) {
  using T = detail::common_value_t<A, B>;
  return detail::value_of<T>(a) <=> detail::value_of<T>(b);
}

}  // namespace tapegrad
