// The operations an expression may use, as the autodiff rules that define them
// (autodiff/rules.hpp): position k of each list is UnaryFunction / BinaryFunction k,
// and the names callable from text are the rules' own. So the text language has no
// derivative, value or name of its own to keep in step with the C++ API.
#pragma once

#include <array>
#include <string_view>
#include <tuple>
#include <utility>

#include "../autodiff/scalar/math.hpp"
#include "../autodiff/scalar/rules.hpp"
#include "expression.hpp"

namespace tapegrad::cli {

using UnaryRules = std::tuple<rules::Neg, rules::Exp, rules::Log, rules::Log1p, rules::Expm1, rules::Sqrt,
                              rules::Cbrt, rules::Abs, rules::Sin, rules::Cos, rules::Tan, rules::Asin,
                              rules::Acos, rules::Atan, rules::Sinh, rules::Cosh, rules::Tanh, rules::Sigmoid,
                              rules::Softplus, rules::Relu, rules::Erf>;
using BinaryRules = std::tuple<rules::Add, rules::Sub, rules::Mul, rules::Div, rules::Pow, rules::Atan2,
                               rules::Hypot, rules::Max, rules::Min>;
static_assert(std::tuple_size_v<UnaryRules> == static_cast<std::size_t>(UnaryFunction::Erf) + 1);
static_assert(std::tuple_size_v<BinaryRules> == static_cast<std::size_t>(BinaryFunction::Min) + 1);

template <class Rules>
constexpr auto rule_names() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, sizeof...(I)>{std::tuple_element_t<I, Rules>::name...};
  }
  (std::make_index_sequence<std::tuple_size_v<Rules>>{});
}

namespace detail {

template <class Rule, class T>
T apply_unary(const T& x) {
  if constexpr (std::is_floating_point_v<T>)
    return Rule::value(x);
  else
    return T(UnaryExpr<Rule, T>(x));
}
template <class Rule, class T>
T apply_binary(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>)
    return Rule::value(a, b);
  else
    return T(tapegrad::detail::binary<Rule>(a, b));
}

}  // namespace detail

// f(x) and f(a, b) for doubles or tape Vars, through a table of the rules' functions.
template <class T>
T unary(UnaryFunction f, const T& x) {
  static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<T (*)(const T&), sizeof...(I)>{
        &detail::apply_unary<std::tuple_element_t<I, UnaryRules>, T>...};
  }
  (std::make_index_sequence<std::tuple_size_v<UnaryRules>>{});
  return table[static_cast<std::size_t>(f)](x);
}
template <class T>
T binary(BinaryFunction f, const T& a, const T& b) {
  static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<T (*)(const T&, const T&), sizeof...(I)>{
        &detail::apply_binary<std::tuple_element_t<I, BinaryRules>, T>...};
  }
  (std::make_index_sequence<std::tuple_size_v<BinaryRules>>{});
  return table[static_cast<std::size_t>(f)](a, b);
}

}  // namespace tapegrad::cli
