// check_gradient: the tape's gradient against finite differences in double — the
// tool every test of an operation uses. The finite differences use the five-point
// central stencil (error O(h^4)), so with the default step they agree with an exact
// gradient to about 1e-10 relative for smooth, well-scaled functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <vector>

#include "../scalar/gradient.hpp"
#include "../scalar/var.hpp"

namespace tapegrad {

struct GradientCheckOptions {
  // Step for coordinate j is relative_step · max(1, |x_j|). Points must be at least
  // two steps inside the function's domain.
  double relative_step = 1e-3;
};

struct GradientCheck {
  double value = 0;
  std::vector<double> gradient;            // from the tape
  std::vector<double> finite_differences;  // five-point central differences
  double max_abs_error = 0;                // max_j |gradient_j - fd_j|
  // max_j |gradient_j - fd_j| / max(|gradient_j|, |fd_j|), with 0/0 taken as 0.
  double max_rel_error = 0;
};

namespace detail {

// The five-point central difference of f at x0: error O(h^4).
template <class F>
double five_point_derivative(F&& f, double x0, const GradientCheckOptions& options) {
  const double h = options.relative_step * std::max(1.0, std::abs(x0));
  return (8 * (f(x0 + h) - f(x0 - h)) - (f(x0 + 2 * h) - f(x0 - 2 * h))) / (12 * h);
}

// Folds one (tape, finite-difference) pair into the worst errors so far. NaN on either
// side must fail the check, not vanish in std::max.
inline void record_error(double g, double fd, double& max_abs_error, double& max_rel_error) {
  const double abs_error = std::abs(g - fd);
  const double scale = std::max(std::abs(g), std::abs(fd));
  const double rel_error = scale == 0 ? 0 : abs_error / scale;
  max_abs_error = std::isnan(abs_error) ? abs_error : std::max(max_abs_error, abs_error);
  max_rel_error = std::isnan(rel_error) ? rel_error : std::max(max_rel_error, rel_error);
}

}  // namespace detail

// fn takes the inputs as `const std::vector<Var>&` and returns a Var (or an expression).
// It is recorded on a tape of its own, so the caller's tape is left as it was.
template <class Fn>
requires std::invocable < Fn&, const std::vector<Var>
& > GradientCheck check_gradient(Fn&& fn, const std::vector<double>& x, GradientCheckOptions options = {}) {
  Tape tape;
  GradientCheck result;
  std::vector<Var> vars(x.begin(), x.end());
  const TapePosition inputs_recorded = tape.position();
  {
    const Var f = fn(vars);
    result.value = f.value();
    result.gradient = gradient(f, vars);
  }
  auto evaluate_at = [&](std::size_t j, double xj) {
    tape.rewind(inputs_recorded);
    std::vector<Var> shifted(vars);
    shifted[j] = Var(xj);
    return Var(fn(shifted)).value();
  };
  result.finite_differences.resize(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    result.finite_differences[j] =
        detail::five_point_derivative([&](double xj) { return evaluate_at(j, xj); }, x[j], options);
    detail::record_error(result.gradient[j], result.finite_differences[j], result.max_abs_error,
                         result.max_rel_error);
  }
  return result;
}

}  // namespace tapegrad
