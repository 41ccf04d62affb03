/// \file
/// The operations on Vars and expressions: + - * / (with numbers on either side), unary
/// minus, the math functions of rules.hpp's lists, and value comparisons. Each builds an
/// expression node over a rule from rules.hpp; kinks and edge cases are documented there.
///
/// Comparisons compare values and return bool, so ordinary C++ `if` and `while` on Vars
/// build graphs that follow the branch actually taken.
#pragma once

#include <compare>
#include <string_view>
#include <type_traits>

#include "../replay/detail/statement_type.hpp"
#include "dual.hpp"
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

// A further operand of an operation on expression E: an expression of E's value
// type, or a number.
template <class X, class E>
concept OperandOf = Number<X> ||
    (Expression<X>&& std::is_same_v<typename X::value_type, typename E::value_type>);

template <class Rule, class A, class B, class C>
auto ternary(const A& a, const B& b, const C& c) {
  using T = typename A::value_type;
  return TernaryExpr<Rule, A, decltype(lift<T>(b)), decltype(lift<T>(c))>(a, lift<T>(b), lift<T>(c));
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

/// Records a + b when assigned (a Var, an expression or a number on either side).
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator+(const A& a, const B& b) { return detail::binary<rules::Add>(a, b); }
/// Records a − b when assigned.
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator-(const A& a, const B& b) { return detail::binary<rules::Sub>(a, b); }
/// Records a · b when assigned.
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator*(const A& a, const B& b) { return detail::binary<rules::Mul>(a, b); }
/// Records a / b when assigned.
template <class A, class B>
requires detail::BinaryOperands<A, B>
auto operator/(const A& a, const B& b) { return detail::binary<rules::Div>(a, b); }

/// Records −a when assigned.
template <Expression A>
auto operator-(const A& a) {
  return UnaryExpr<rules::Neg, A>(a);
}
/// a itself.
template <Expression A>
const A& operator+(const A& a) {
  return a;
}

// -------------------------------------------------------------------- functions
//
// One function per rule in rules.hpp's lists, named as the list says; each checks
// that the rule's own name (used by the command line and in messages) agrees.

#define TAPEGRAD_UNARY_FUNCTION(Rule, function)                    \
  static_assert(std::string_view(rules::Rule::name) == #function); \
  template <Expression A>                                          \
  auto function(const A& a) {                                      \
    return UnaryExpr<rules::Rule, A>(a);                           \
  }
#define TAPEGRAD_BINARY_FUNCTION(Rule, function)                   \
  static_assert(std::string_view(rules::Rule::name) == #function); \
  template <class A, class B>                                      \
  requires detail::BinaryOperands<A, B>                            \
  auto function(const A& a, const B& b) { return detail::binary<rules::Rule>(a, b); }
#define TAPEGRAD_TERNARY_FUNCTION(Rule, function)                  \
  static_assert(std::string_view(rules::Rule::name) == #function); \
  template <Expression A, class B, class C>                        \
  requires detail::OperandOf<B, A> && detail::OperandOf<C, A>      \
  auto function(const A& a, const B& b, const C& c) { return detail::ternary<rules::Rule>(a, b, c); }
TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_UNARY_FUNCTION)
TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_BINARY_FUNCTION)
TAPEGRAD_TERNARY_FUNCTIONS(TAPEGRAD_TERNARY_FUNCTION)
#undef TAPEGRAD_UNARY_FUNCTION
#undef TAPEGRAD_BINARY_FUNCTION
#undef TAPEGRAD_TERNARY_FUNCTION

/// `<cmath>`'s other name for abs.
template <Expression A>
auto fabs(const A& a) {
  return UnaryExpr<rules::Abs, A>(a);
}

/// More specialized than `std::max(const T&, const T&)` and `std::min`, so generic code that
/// says `using std::max;` still gets the differentiable versions for two Vars.
template <class T>
auto max(const BasicVar<T>& a, const BasicVar<T>& b) {
  return detail::binary<rules::Max>(a, b);
}
/// The differentiable min of two Vars (see max()).
template <class T>
auto min(const BasicVar<T>& a, const BasicVar<T>& b) {
  return detail::binary<rules::Min>(a, b);
}

// ----------------------------------------------------------------- comparisons
//
// A comparison compares values and returns bool, as on numbers. A tape's observer is
// told of it with its outcome, so that running the recording again where it would come
// out the other way is caught. Branch on the Vars themselves (`x > 0`), not on
// `x.value()`, which no tape sees.

namespace detail {
template <class A, class B>
int compare(Relation relation, const A& a, const B& b) {
  using T = common_value_t<A, B>;
  const int outcome = compare_outcome(relation, primal(value_of<T>(a)), primal(value_of<T>(b)));
  if (BasicTape<T>* tape = BasicTape<T>::active(); tape != nullptr && tape->observer() != nullptr)
      [[unlikely]]
    tape->observer()->comparison(relation, comparison_side<T>(a), comparison_side<T>(b), outcome);
  return outcome;
}
}  // namespace detail

#define TAPEGRAD_COMPARISON(op, relation) \
  template <class A, class B>             \
  requires detail::BinaryOperands<A, B>   \
  bool operator op(const A& a, const B& b) { return detail::compare(detail::Relation::relation, a, b) != 0; }
TAPEGRAD_COMPARISON(<, Less)
TAPEGRAD_COMPARISON(<=, LessEqual)
TAPEGRAD_COMPARISON(>, Greater)
TAPEGRAD_COMPARISON(>=, GreaterEqual)
TAPEGRAD_COMPARISON(==, Equal)
TAPEGRAD_COMPARISON(!=, NotEqual)
#undef TAPEGRAD_COMPARISON

/// Compares two values (Vars, expressions or numbers) by value. The tape's recording observer, if any, is
/// told of the outcome (recording_observer.hpp), so that a recording run again where it differs is caught.
template <class A, class B>
requires detail::BinaryOperands<A, B> std::partial_ordering operator<=>(const A& a, const B& b) {
  switch (detail::compare(detail::Relation::Order, a, b)) {
    case -1:
      return std::partial_ordering::less;
    case 0:
      return std::partial_ordering::equivalent;
    case 1:
      return std::partial_ordering::greater;
    default:
      return std::partial_ordering::unordered;
  }
}

}  // namespace tapegrad
