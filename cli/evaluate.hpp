// Running an Expression's program on plain doubles (the function alone, with domain
// checks) or on tape Vars (recording for the gradient). Both go through the rules of
// the C++ API (functions.hpp), so the text and the C++ form of an expression give the
// same values and the same gradient.
#pragma once

#include <array>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../autodiff/scalar/dual.hpp"
#include "../autodiff/scalar/var.hpp"
#include "expression.hpp"
#include "functions.hpp"

namespace tapegrad::cli {

// An operation whose result is NaN or infinite although its inputs are finite.
class DomainError : public ColumnError {
 public:
  using ColumnError::ColumnError;
};

// Evaluating on Dual Vars with checks: an operation whose derivative is NaN or infinite
// although its inputs and their derivatives are finite. The message is DomainError's,
// with the derivative in place of the result ("domain error: sqrt(0) is infinite");
// calculus.cpp words it for the derivative.
class DerivativeError : public DomainError {
 public:
  using DomainError::DomainError;
};

// The values an Expression reads: one per scalar, and one vector per vector variable
// (in the Expression's name order).
template <class T>
struct Inputs {
  std::span<const T> scalars;
  std::span<const std::vector<T>> vectors;
};

namespace detail {

inline double plain(double x) { return x; }
template <class V>
double plain(const V& x) {
  return primal(x.value());  // a Var's double, a FloatVar's float, a DualVar's value part
}

std::string describe(const Instruction& instruction, std::span<const double> operands, double result);

}  // namespace detail

// What is wrong with `index` as an index of the vector `name` of length n: out of range,
// or not a whole number.
inline std::string index_problem(double index, const std::string& name, std::size_t n) {
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.17g", index);
  const std::string range = " (indices 0 to " + std::to_string(n - 1) + ")";
  if (index != std::floor(index))
    return "the index " + std::string(shown) + " of " + name + " is not a whole number";
  return "the index " + std::string(shown) + " is out of range: " + name + " has dimension " +
         std::to_string(n) + range;
}

// Evaluates `e` on `inputs`. With check_domain, the first operation (in evaluation
// order) that turns finite inputs into NaN or infinity throws DomainError at its
// column, naming the operation and its input values.
template <class T>
class Evaluator {
 public:
  T operator()(const Expression& e, const Inputs<T>& inputs, bool check_domain = false);

 private:
  void run(const Expression& e, const Inputs<T>& in, std::size_t begin, std::size_t end, bool check);
  static void check_result(const Instruction& i, std::span<const double> operands, double result);

  std::vector<T> stack_;
  std::vector<std::size_t> indices_;
};

// The members are defined outside the class so that they are not inline: the value
// types the commands use are then instantiated once, in evaluate.cpp (every rule on
// every type, optimized, was most of each command file's compile time).
template <class T>
T Evaluator<T>::operator()(const Expression& e, const Inputs<T>& inputs, bool check_domain) {
  stack_.clear();
  indices_.clear();
  run(e, inputs, 0, e.program().size(), check_domain);
  return stack_.back();
}

template <class T>
void Evaluator<T>::run(const Expression& e, const Inputs<T>& in, std::size_t begin, std::size_t end,
                       bool check) {
  const std::vector<Instruction>& program = e.program();
  for (std::size_t k = begin; k < end; ++k) {
    const Instruction& i = program[k];
    switch (i.op) {
      case Instruction::Op::Constant:
        stack_.push_back(T(i.constant));
        break;
      case Instruction::Op::Scalar:
        stack_.push_back(in.scalars[i.slot]);
        break;
      case Instruction::Op::SumElement:
        stack_.push_back(in.vectors[i.slot][indices_.back()]);
        break;
      case Instruction::Op::Indexed: {
        const double index = detail::plain(stack_.back());
        // On a replay tape the comparison is recorded, so a replay at a point where
        // the index would pick another entry is caught rather than reading the old one.
        if constexpr (!std::is_arithmetic_v<T>) (void)(stack_.back() == index);
        stack_.pop_back();
        const std::vector<T>& v = in.vectors[i.slot];
        if (!(index >= 0 && index < static_cast<double>(v.size()) && index == std::floor(index)))
          throw DomainError(i.column, index_problem(index, e.vectors()[i.slot], v.size()));
        stack_.push_back(v[static_cast<std::size_t>(index)]);
        break;
      }
      case Instruction::Op::Apply: {
        const std::size_t arity = operation_table[i.function].arity;
        T* arguments = stack_.data() + stack_.size() - arity;
        T result = apply(i.function, arguments);
        if (check) {
          std::array<double, max_arity> plain_arguments;
          for (std::size_t a = 0; a < arity; ++a) plain_arguments[a] = detail::plain(arguments[a]);
          check_result(i, std::span<const double>(plain_arguments.data(), arity), detail::plain(result));
          // On Dual Vars the tangent is the derivative along the seeded direction: the
          // first operation whose derivative is not finite though its inputs' are is
          // where a gradient stops being finite (sqrt at 0).
          if constexpr (std::is_same_v<T, BasicVar<Dual<double>>>) {
            bool inputs_finite = true;
            for (std::size_t a = 0; a < arity; ++a)
              inputs_finite = inputs_finite && std::isfinite(arguments[a].value().tangent());
            if (inputs_finite && !std::isfinite(result.value().tangent()))
              throw DerivativeError(
                  i.column, detail::describe(i, std::span<const double>(plain_arguments.data(), arity),
                                             result.value().tangent()));
          }
        }
        for (std::size_t a = 1; a < arity; ++a) stack_.pop_back();
        stack_.back() = std::move(result);
        break;
      }
      case Instruction::Op::Sum: {
        T total(0.0);
        indices_.push_back(0);
        for (std::size_t index = 0; index < i.count; ++index) {
          indices_.back() = index;
          run(e, in, k + 1, i.end, check);
          total = index == 0 ? std::move(stack_.back()) : T(total + stack_.back());
          stack_.pop_back();
        }
        indices_.pop_back();
        stack_.push_back(std::move(total));
        k = i.end - 1;
        break;
      }
    }
  }
}

template <class T>
void Evaluator<T>::check_result(const Instruction& i, std::span<const double> operands, double result) {
  if (std::isfinite(result)) return;
  for (double x : operands)
    if (!std::isfinite(x)) return;  // not where it started
  throw DomainError(i.column, detail::describe(i, operands, result));
}

extern template class Evaluator<double>;
extern template class Evaluator<Var>;
extern template class Evaluator<BasicVar<Dual<double>>>;

}  // namespace tapegrad::cli
