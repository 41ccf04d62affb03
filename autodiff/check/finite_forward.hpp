/// \file
/// check_finite mode, in the forward pass (see BasicTape::Options::check_finite): when a
/// statement's value or one of its local derivatives is NaN or infinite, its expression
/// tree is searched for the first operation (innermost, left to right, in the order the
/// values were computed) whose value or derivative went bad, and a NonFiniteError names
/// it with its inputs. The tree is only searched on that rare path; a statement that is
/// all finite costs one check of its value and its partials.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "../scalar/expr.hpp"
#include "../scalar/tape.hpp"
#include "../support/error.hpp"

namespace tapegrad {

template <class T>
class BasicVar;
template <class T>
class BasicTensor;

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
template <class Rule, class A, class B, class C>
std::optional<NonFiniteOperation> first_non_finite(const TernaryExpr<Rule, A, B, C>& e);

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

template <class Rule, class A, class B, class C>
std::optional<NonFiniteOperation> first_non_finite(const TernaryExpr<Rule, A, B, C>& e) {
  if (auto inner = first_non_finite(e.first())) return inner;
  if (auto inner = first_non_finite(e.second())) return inner;
  if (auto inner = first_non_finite(e.third())) return inner;
  const auto &a = e.first().value(), &b = e.second().value(), &c = e.third().value();
  const auto& y = e.value();
  const std::string inputs = "a = " + number_text(a) + ", b = " + number_text(b) + ", c = " + number_text(c);
  if (!is_finite(y)) return NonFiniteOperation{Rule::name, inputs, "its value is " + number_text(y)};
  if constexpr (A::max_operands > 0)
    if (auto bad = non_finite_derivative(Rule::name, inputs, " with respect to a", Rule::d_a(a, b, c, y), y))
      return bad;
  if constexpr (B::max_operands > 0)
    if (auto bad = non_finite_derivative(Rule::name, inputs, " with respect to b", Rule::d_b(a, b, c, y), y))
      return bad;
  if constexpr (C::max_operands > 0)
    return non_finite_derivative(Rule::name, inputs, " with respect to c", Rule::d_c(a, b, c, y), y);
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
  std::string message = "check_finite: in the forward pass, ";
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
    throw NonFiniteError(std::string("check_finite: ") + what + " is " + number_text(value), "forward");
}

// ------------------------------------------------------------------ tensors
//
// A tensor result with a NaN or an infinity names the operation, the first bad entry and
// its index, and each input's shape and its value at that entry (through broadcasting),
// or its first bad entry.
// What an input held where the output went bad.
template <class T>
std::string input_text(const BasicTensor<T>& input, std::ptrdiff_t i, std::ptrdiff_t j, std::ptrdiff_t rows,
                       std::ptrdiff_t cols) {
  std::string text = input.shape();
  const bool broadcasts =
      rows > 0 && (input.rows() == rows || input.rows() == 1) && (input.cols() == cols || input.cols() == 1);
  if (broadcasts) {
    const std::ptrdiff_t ii = input.rows() == 1 ? 0 : i, jj = input.cols() == 1 ? 0 : j;
    const std::ptrdiff_t k = ii + jj * input.rows();
    return text + " with " + number_text(input.data()[k]) + " at " + entry_text(k, input.rows());
  }
  for (std::ptrdiff_t k = 0; k < input.size(); ++k)
    if (!is_finite(input.data()[k]))
      return text + " with " + number_text(input.data()[k]) + " at " + entry_text(k, input.rows());
  return text + ", all finite";
}

// "; inputs: #1 …, #2 …", each input as input_text describes it. Appended piece by
// piece: g++ 12 reports a false -Wrestrict on `"#" + std::to_string(n)` here.
template <class T>
void append_inputs(std::string& message, std::initializer_list<BasicTensor<T>> inputs, std::ptrdiff_t i,
                   std::ptrdiff_t j, std::ptrdiff_t rows, std::ptrdiff_t cols) {
  int n = 0;
  for (const BasicTensor<T>& input : inputs) {
    message += n == 0 ? "; inputs: #" : ", #";
    message += std::to_string(++n);
    message += ' ';
    message += input_text(input, i, j, rows, cols);
  }
}

template <class T>
[[noreturn, gnu::noinline]] void throw_non_finite_tensor(const char* operation, const char* what,
                                                         const T& bad, std::ptrdiff_t k, std::ptrdiff_t rows,
                                                         std::ptrdiff_t cols,
                                                         std::initializer_list<BasicTensor<T>> inputs) {
  const std::ptrdiff_t i = k % rows, j = k / rows;
  std::string message = std::string("check_finite: in the forward pass, ") + operation + " gave " + what +
                        number_text(bad) + " at entry " + entry_text(k, rows) + " of its " +
                        std::to_string(rows) + "×" + std::to_string(cols) + " result";
  append_inputs(message, inputs, i, j, rows, cols);
  throw NonFiniteError(message, "forward");
}

// The values of a result just computed by `operation` from `inputs`.
template <class T>
void check_tensor_finite(const char* operation, const T* values, std::ptrdiff_t rows, std::ptrdiff_t cols,
                         std::initializer_list<BasicTensor<T>> inputs) {
  for (std::ptrdiff_t k = 0; k < rows * cols; ++k)
    if (!is_finite(values[k])) [[unlikely]]
      throw_non_finite_tensor(operation, "", values[k], k, rows, cols, inputs);
}

// A reduction's or a loss's value, and the partials it keeps for its backward.
template <class T>
void check_reduction_finite(const char* operation, const T& value, const T* partials, std::ptrdiff_t size,
                            std::initializer_list<BasicTensor<T>> inputs) {
  const BasicTensor<T>& first = *inputs.begin();
  if (!is_finite(value)) {
    std::string message =
        std::string("check_finite: in the forward pass, ") + operation + " gave " + number_text(value);
    append_inputs(message, inputs, 0, 0, 0, 0);
    throw NonFiniteError(message, "forward");
  }
  if (partials != nullptr)
    for (std::ptrdiff_t k = 0; k < size; ++k)
      if (!is_finite(partials[k])) [[unlikely]]
        throw_non_finite_tensor(operation, "a derivative of ", partials[k], k, first.rows(), first.cols(),
                                inputs);
}

}  // namespace detail

}  // namespace tapegrad
