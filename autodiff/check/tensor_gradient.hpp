/// \file
/// check_gradient for tensor functions: the tape's gradient with respect to each input
/// tensor against five-point central finite differences in double, entry by entry.
/// The same stencil and error measures as the scalar check_gradient.
#pragma once

#include <concepts>
#include <vector>

#include "../tensor/parameter.hpp"
#include "../tensor/tensor.hpp"
#include "gradient.hpp"

namespace tapegrad {

/// What check_tensor_gradient() returns: the tape's gradient of each input tensor beside five-point central
/// differences, and their largest errors.
struct TensorGradientCheck {
  /// f(x).
  double value = 0;
  std::vector<MatrixX<double>> gradient;            ///< from the tape, one per input
  std::vector<MatrixX<double>> finite_differences;  ///< five-point central differences
  /// max |g − fd| over every entry.
  double max_abs_error = 0;
  double max_rel_error = 0;  ///< max |g − fd| / max(|g|, |fd|), 0/0 taken as 0
};

/// fn takes the inputs as `const std::vector<Tensor>&` and returns a Var. It is recorded
/// on a tape of its own, so the caller's tape is left as it was.
template <class Fn>
requires(std::invocable<Fn&, const std::vector<Tensor>&>) TensorGradientCheck
    check_tensor_gradient(Fn&& fn, const std::vector<MatrixX<double>>& inputs,
                          GradientCheckOptions options = {}) {
  Tape tape;
  std::vector<Parameter> parameters;
  parameters.reserve(inputs.size());
  for (const MatrixX<double>& x : inputs) parameters.emplace_back(x);
  auto evaluate = [&]() {
    tape.clear();
    std::vector<Tensor> tensors;
    for (Parameter& p : parameters) tensors.push_back(p.tensor());
    return Var(fn(tensors));
  };

  TensorGradientCheck result;
  const Var f = evaluate();
  result.value = f.value();
  tape.backward(f);
  for (const Parameter& p : parameters) result.gradient.push_back(p.grad());

  for (std::size_t t = 0; t < parameters.size(); ++t) {
    MatrixX<double>& x = parameters[t].value();
    MatrixX<double> fd(x.rows(), x.cols());
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      const double x0 = x(k);
      fd(k) = detail::five_point_derivative(
          [&](double xk) {
            x(k) = xk;
            return evaluate().value();
          },
          x0, options);
      x(k) = x0;
      detail::record_error(result.gradient[t](k), fd(k), result.max_abs_error, result.max_rel_error);
    }
    result.finite_differences.push_back(std::move(fd));
  }
  return result;
}

}  // namespace tapegrad
