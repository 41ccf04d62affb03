/// \file
/// check_gradient: the tape's gradient against finite differences in double — the
/// tool every test of an operation uses. The finite differences use the five-point
/// central stencil (error O(h^4)), so with the default step they agree with an exact
/// gradient to about 1e-10 relative for smooth, well-scaled functions. The result says
/// whether the check passed at a stated tolerance; `if (!check_gradient(fn, x))` works.
///
/// A function written for FloatVar (or a generic lambda) is checked on a float tape:
/// its gradient is recorded in float and compared with finite differences taken in
/// double whenever the function also takes Vars, else in float with a larger step.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <vector>

#include "../scalar/gradient.hpp"
#include "../scalar/var.hpp"

namespace tapegrad {

/// The options of check_gradient().
struct GradientCheckOptions {
  /// Step for coordinate j is relative_step · max(1, |x_j|). Points must be at least
  /// two steps inside the function's domain.
  double relative_step = 1e-3;
  /// Passes when |gradient_j - fd_j| <= tolerance · max(1, |fd_j|) for every j; NaN or
  /// infinity on either side fails. When negative, the default for the tape's type:
  /// 1e-6 for double, 1e-3 for float.
  double tolerance = -1;
};

/// What check_gradient() returns: the tape's gradient beside five-point central differences, their largest
/// errors, and whether they agree within the tolerance. Converts to bool (passed).
struct GradientCheck {
  /// f(x).
  double value = 0;
  std::vector<double> gradient;            ///< from the tape
  std::vector<double> finite_differences;  ///< five-point central differences
  double max_abs_error = 0;                ///< max_j |gradient_j - fd_j|
  /// max_j |gradient_j - fd_j| / max(|gradient_j|, |fd_j|), with 0/0 taken as 0.
  double max_rel_error = 0;
  double tolerance = 0;  ///< the one applied
  /// True when every entry agrees within the tolerance.
  bool passed = false;
  /// passed.
  explicit operator bool() const { return passed; }
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

inline bool within(double g, double fd, double tolerance) {
  return std::isfinite(g) && std::isfinite(fd) && std::abs(g - fd) <= tolerance * std::max(1.0, std::abs(fd));
}

// Records fn on a tape of T of its own (the caller's tape is left as it was), then
// compares with finite differences of `evaluate` (double inputs to a double value).
template <class T, class Fn, class Evaluate>
GradientCheck check_gradient_on(Fn&& fn, const std::vector<double>& x, Evaluate&& evaluate,
                                GradientCheckOptions options, double default_tolerance) {
  GradientCheck result;
  result.tolerance = options.tolerance >= 0 ? options.tolerance : default_tolerance;
  {
    BasicTape<T> tape;
    std::vector<BasicVar<T>> vars;
    for (double xj : x) vars.emplace_back(static_cast<T>(xj));
    const BasicVar<T> f = fn(vars);
    result.value = static_cast<double>(f.value());
    for (T g : gradient(f, vars)) result.gradient.push_back(static_cast<double>(g));
  }
  result.finite_differences.resize(x.size());
  result.passed = true;
  std::vector<double> shifted = x;
  for (std::size_t j = 0; j < x.size(); ++j) {
    result.finite_differences[j] = five_point_derivative(
        [&](double xj) {
          shifted[j] = xj;
          const double value = evaluate(shifted);
          shifted[j] = x[j];
          return value;
        },
        x[j], options);
    record_error(result.gradient[j], result.finite_differences[j], result.max_abs_error,
                 result.max_rel_error);
    result.passed =
        result.passed && within(result.gradient[j], result.finite_differences[j], result.tolerance);
  }
  return result;
}

// fn's value at double inputs, recorded on a fresh tape of T.
template <class T, class Fn>
double value_on_tape(Fn& fn, const std::vector<double>& x) {
  BasicTape<T> tape;
  std::vector<BasicVar<T>> vars;
  for (double xj : x) vars.emplace_back(static_cast<T>(xj));
  return static_cast<double>(BasicVar<T>(fn(vars)).value());
}

}  // namespace detail

/// The tape's gradient of fn at x beside five-point central differences, entry by entry,
/// and whether they agree within the tolerance. fn takes the inputs as
/// `const std::vector<Var>&` and returns a Var (or an expression). Costs one gradient and
/// 4n evaluations of fn.
///
/// \snippet test_doc_examples.cpp check_gradient
template <class Fn>
requires(std::invocable<Fn&, const std::vector<Var>&>) GradientCheck
    check_gradient(Fn&& fn, const std::vector<double>& x, GradientCheckOptions options = {}) {
  return detail::check_gradient_on<double>(
      fn, x, [&](const std::vector<double>& at) { return detail::value_on_tape<double>(fn, at); }, options,
      1e-6);
}

/// fn takes `const std::vector<FloatVar>&` only: its float gradient against finite
/// differences of its float values, with a step of at least 1e-2 (float's rounding
/// would swamp a smaller one).
template <class Fn>
requires(std::invocable<Fn&, const std::vector<FloatVar>&> &&
         !std::invocable<Fn&, const std::vector<Var>&>) GradientCheck
    check_gradient(Fn&& fn, const std::vector<double>& x, GradientCheckOptions options = {}) {
  GradientCheckOptions float_steps = options;
  float_steps.relative_step = std::max(options.relative_step, 1e-2);
  return detail::check_gradient_on<float>(
      fn, x, [&](const std::vector<double>& at) { return detail::value_on_tape<float>(fn, at); }, float_steps,
      1e-3);
}

/// A function that takes either: its float tape's gradient against finite differences
/// of its double version — the check of a float model's adjoints.
template <class Fn>
requires(std::invocable<Fn&, const std::vector<FloatVar>&>&& std::invocable<Fn&, const std::vector<Var>&>)
    GradientCheck
    check_float_gradient(Fn&& fn, const std::vector<double>& x, GradientCheckOptions options = {}) {
  return detail::check_gradient_on<float>(
      fn, x, [&](const std::vector<double>& at) { return detail::value_on_tape<double>(fn, at); }, options,
      1e-3);
}

}  // namespace tapegrad
