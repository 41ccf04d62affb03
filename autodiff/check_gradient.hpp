// check_gradient: the tape's gradient against finite differences in double — the
// tool every test of an operation uses. The finite differences use the five-point
// central stencil (error O(h^4)), so with the default step they agree with an exact
// gradient to about 1e-10 relative for smooth, well-scaled functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <vector>

#include "gradient.hpp"
#include "var.hpp"

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
    const double h = options.relative_step * std::max(1.0, std::abs(x[j]));
    const double fd = (8 * (evaluate_at(j, x[j] + h) - evaluate_at(j, x[j] - h)) -
                       (evaluate_at(j, x[j] + 2 * h) - evaluate_at(j, x[j] - 2 * h))) /
                      (12 * h);
    result.finite_differences[j] = fd;
    const double g = result.gradient[j];
    const double abs_error = std::abs(g - fd);
    const double scale = std::max(std::abs(g), std::abs(fd));
    const double rel_error = scale == 0 ? 0 : abs_error / scale;
    // NaN on either side must fail the check, not vanish in std::max.
    result.max_abs_error = std::isnan(abs_error) ? abs_error : std::max(result.max_abs_error, abs_error);
    result.max_rel_error = std::isnan(rel_error) ? rel_error : std::max(result.max_rel_error, rel_error);
  }
  return result;
}

}  // namespace tapegrad
