// check_finite mode, in the forward pass (see BasicTape::Options::check_finite): when a
// statement's value or one of its local derivatives is NaN or infinite, its expression
// tree is searched for the first operation (innermost, left to right, in the order the
// values were computed) whose value or derivative went bad, and a NonFiniteError names
// it with its inputs. The tree is only searched on that rare path; a statement that is
// all finite costs one check of its value and its partials.
#pragma once

#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "error.hpp"
#include "expr.hpp"
#include "tape.hpp"

namespace tapegrad {

template <class T>
class BasicVar;

namespace detail {

template <class T>
bool is_finite(const T& x) {
  using std::isfinite;
  return isfinite(x);
}

template <class T>
std::string number_text(const T& x) {
  if constexpr (std::is_arithmetic_v<T>) {
    if (std::isnan(x)) return "NaN";  // printf would say "nan" or "-nan"
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", static_cast<double>(x));
    return buffer;
  } else {
    return is_finite(x) ? "finite" : "non-finite";
  }
}

// The operation that produced a NaN or an infinity, in words.
struct NonFiniteOperation {
  std::string operation;  // "log", "/"
  std::string inputs;     // "x = 0" or "a = 1, b = 0"
  std::string what;       // "its value is -inf", "its derivative with respect to b is inf"
};

// The report for a local derivative d (with respect to `operand`, empty for a unary
// operation) of an operation whose value is y, if d is not finite.
template <class V>
std::optional<NonFiniteOperation> non_finite_derivative(const char* operation, const std::string& inputs,
                                                        const char* operand, const V& d, const V& y) {
  if (is_finite(d)) return std::nullopt;
  return NonFiniteOperation{operation, inputs,
                            std::string("its derivative") + operand + " is " + number_text(d) +
                                " (its value is " + number_text(y) + ")"};
}

// Leaves cannot be the culprit: a Var's value was checked when it was recorded, and a
// number in an expression is named as an input of the operation that reads it.
template <class E>
std::optional<NonFiniteOperation> first_non_finite(const E&) {
  return std::nullopt;
}
template <class Rule, class A>
std::optional<NonFiniteOperation> first_non_finite(const UnaryExpr<Rule, A>& e);
template <class Rule, class A, class B>
std::optional<NonFiniteOperation> first_non_finite(const BinaryExpr<Rule, A, B>& e);

template <class Rule, class A>
std::optional<NonFiniteOperation> first_non_finite(const UnaryExpr<Rule, A>& e) {
  if (auto inner = first_non_finite(e.operand())) return inner;
  const auto& x = e.operand().value();
  const auto& y = e.value();
  const std::string inputs = "x = " + number_text(x);
  if (!is_finite(y)) return NonFiniteOperation{Rule::name, inputs, "its value is " + number_text(y)};
  if constexpr (A::max_operands > 0)
    return non_finite_derivative(Rule::name, inputs, "", Rule::partial(x, y), y);
  return std::nullopt;
}

template <class Rule, class A, class B>
std::optional<NonFiniteOperation> first_non_finite(const BinaryExpr<Rule, A, B>& e) {
  if (auto inner = first_non_finite(e.left())) return inner;
  if (auto inner = first_non_finite(e.right())) return inner;
  const auto& a = e.left().value();
  const auto& b = e.right().value();
  const auto& y = e.value();
  const std::string inputs = "a = " + number_text(a) + ", b = " + number_text(b);
  if (!is_finite(y)) return NonFiniteOperation{Rule::name, inputs, "its value is " + number_text(y)};
  // Only the derivatives the tape records: none with respect to a number.
  if constexpr (A::max_operands > 0)
    if (auto bad = non_finite_derivative(Rule::name, inputs, " with respect to a", Rule::d_a(a, b, y), y))
      return bad;
  if constexpr (B::max_operands > 0)
    return non_finite_derivative(Rule::name, inputs, " with respect to b", Rule::d_b(a, b, y), y);
  return std::nullopt;
}

// Called after statement `index` recorded `expression` on a checking tape.
template <class T, class E>
void check_statement_finite(const BasicTape<T>& tape, std::uint32_t index, const E& expression) {
  bool finite = is_finite(expression.value());
  for (const T& partial : tape.operand_partials(index)) finite = finite && is_finite(partial);
  if (finite) [[likely]]
    return;
  std::string statement;
  expression.describe(statement);
  std::string message = "tapegrad: check_finite: in the forward pass, ";
  if (const auto op = first_non_finite(expression)) {
    message += op->operation;
    message += " with ";
    message += op->inputs;
    message += ": ";
    message += op->what;
  } else {
    // Every operation is finite, but the chain rule's product along the tree overflowed.
    message += "a derivative of the statement overflowed (each operation's own is finite)";
  }
  message += "; in v" + std::to_string(index) + " = " + statement;
  throw NonFiniteError(message, "forward");
}

// A new leaf (a Var made from a number, a Parameter) on a checking tape.
template <class T>
void check_input_finite(const T& value, const char* what) {
  if (!is_finite(value)) [[unlikely]]
    throw NonFiniteError(std::string("tapegrad: check_finite: ") + what + " is " + number_text(value),
                         "forward");
}

}  // namespace detail

}  // namespace tapegrad
