// The operations an expression may use: every rule of the autodiff lists
// (autodiff/scalar/rules.hpp), unary, then binary, then ternary. Operation k of the
// table below is the k-th of those rules; its name, arity, value and derivative are the
// rule's own, so the text language has nothing of its own to keep in step with the C++
// API, and a rule added to a list is callable from text at once.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../autodiff/scalar/math.hpp"
#include "../autodiff/scalar/rules.hpp"

namespace tapegrad::cli {

using OperationRules =
    decltype(std::tuple_cat(rules::UnaryRules{}, rules::BinaryRules{}, rules::TernaryRules{}));
inline constexpr std::size_t operation_count = std::tuple_size_v<OperationRules>;
static_assert(operation_count <= 256, "an Instruction keeps the operation in one byte");

struct OperationInfo {
  std::string_view name;  // the rule's: "exp", "+", "clamp"
  std::uint8_t arity;
  bool called_by_name;  // a function name in text, rather than an operator (+, unary -)
};

namespace detail {

template <class Rule>
constexpr std::uint8_t arity_of() {
  if constexpr (requires { &Rule::template partial<double>; })
    return 1;
  else if constexpr (requires { &Rule::template d_c<double>; })
    return 3;
  else
    return 2;
}
template <class Rule>
constexpr OperationInfo info_of() {
  const std::string_view name = Rule::name;
  const bool letter = (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z');
  return {name, arity_of<Rule>(), letter && !std::is_same_v<Rule, rules::Neg>};
}

// One operation on doubles (the rule's value) or on tape Vars (recorded through the
// same expression nodes as the C++ API).
template <class Rule, class T>
T apply_rule(const T* x) {
  if constexpr (std::is_floating_point_v<T>) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) { return Rule::value(x[I]...); }
    (std::make_index_sequence<arity_of<Rule>()>{});
  } else if constexpr (arity_of<Rule>() == 1) {
    return T(UnaryExpr<Rule, T>(x[0]));
  } else if constexpr (arity_of<Rule>() == 2) {
    return T(BinaryExpr<Rule, T, T>(x[0], x[1]));
  } else {
    return T(TernaryExpr<Rule, T, T, T>(x[0], x[1], x[2]));
  }
}

// A binary rule applied to a Var and a number: the number enters as a Constant node, so
// that it is no leaf on the tape and the statement's replay kernel is compiled (a Var
// made from the number would be an input statement of its own). `number_first`: the
// number is the left operand.
template <class Rule, class T>
T apply_rule_with_number(const T& var, double number, bool number_first) {
  using V = typename T::value_type;
  const Constant<V> c{V(number)};
  if (number_first) return T(BinaryExpr<Rule, Constant<V>, T>(c, var));
  return T(BinaryExpr<Rule, T, Constant<V>>(var, c));
}

// apply_rule_with_number for a binary rule; null for the others (never called with them).
template <class Rule, class T>
constexpr auto with_number_entry() -> T (*)(const T&, double, bool) {
  if constexpr (arity_of<Rule>() == 2)
    return &apply_rule_with_number<Rule, T>;
  else
    return nullptr;
}

}  // namespace detail

inline constexpr auto operation_table = []<std::size_t... I>(std::index_sequence<I...>) {
  return std::array<OperationInfo, sizeof...(I)>{
      detail::info_of<std::tuple_element_t<I, OperationRules>>()...};
}
(std::make_index_sequence<operation_count>{});

// The most arguments any operation takes.
inline constexpr std::size_t max_arity = [] {
  std::size_t most = 0;
  for (const OperationInfo& op : operation_table) most = op.arity > most ? op.arity : most;
  return most;
}();

// The position of Rule in the table (for the operators the parser emits itself).
template <class Rule>
consteval std::uint8_t operation_index() {
  constexpr auto matches = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<bool, sizeof...(I)>{std::is_same_v<std::tuple_element_t<I, OperationRules>, Rule>...};
  }
  (std::make_index_sequence<operation_count>{});
  for (std::size_t k = 0; k < matches.size(); ++k)
    if (matches[k]) return static_cast<std::uint8_t>(k);
  throw "not a listed rule";  // in a constant expression: a compile error
}

// Operation `op` applied to its arity's worth of arguments starting at `x`.
template <class T>
T apply(std::uint8_t op, const T* x) {
  static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<T (*)(const T*), sizeof...(I)>{
        &detail::apply_rule<std::tuple_element_t<I, OperationRules>, T>...};
  }
  (std::make_index_sequence<operation_count>{});
  return table[op](x);
}

// Binary operation `op` applied to a Var and a number (the left operand when
// `number_first`), the number as a Constant node: detail::apply_rule_with_number.
template <class T>
T apply_with_number(std::uint8_t op, const T& var, double number, bool number_first) {
  static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<T (*)(const T&, double, bool), sizeof...(I)>{
        detail::with_number_entry<std::tuple_element_t<I, OperationRules>, T>()...};
  }
  (std::make_index_sequence<operation_count>{});
  return table[op](var, number, number_first);
}

}  // namespace tapegrad::cli
