/// \file
/// solve(F, x0): a root of n equations in n unknowns, F: span of Vars → std::vector of n
/// Vars. Newton's method on the tape's Jacobian (J p = −F, by column-pivoting QR, which
/// also says when J is singular), with a backtracking line search on φ = ½‖F‖² (Armijo:
/// φ(x + tp) ≤ (1 − 2·10⁻⁴·t)·φ(x), since ∇φ·p = −‖F‖² = −2φ). When Newton cannot go on
/// (J singular, or no step length down to 10⁻⁴ lowers φ) it hands the point to
/// Levenberg–Marquardt (least_squares.hpp) on ½‖F‖², which needs no invertible Jacobian
/// and ends quadratically at a root where J is regular.
///
/// What counts as a root: ‖F‖ ≤ tolerance at a point that is located, at the start as
/// anywhere else. Located means: J is regular there and the Newton correction p (J p = −F)
/// is at most 10⁻⁸·max(‖x‖, 1); or, for a multiple root where J is singular, the steps
/// converge: the last two step ratios below 1 and steady (linear convergence) or falling
/// (faster), and the distance still to go, last step · r/(1 − r) with r the larger ratio,
/// is at most 10⁻⁸·max(‖x‖, 1). A small residual
/// alone locates nothing: exp(x) = 0 steps by −1 forever, its residual underflowing to 0
/// with J; that ends as SolveStop::Asymptote (or at the iteration limit), never as a root,
/// and so does a start where exp(x) has already underflowed to 0. Levenberg–Marquardt's
/// steps are held to the same rule.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <cmath>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "least_squares.hpp"

namespace tapegrad::optim {

/// The options of solve().
struct SolveOptions {
  double tolerance = 1e-12;  ///< a root has ‖F(x)‖₂ at most this (and is located: see solve.hpp)
  /// Newton and Levenberg–Marquardt steps at most, together.
  long max_iterations = 200;
};

/// Converged: ‖F‖ ≤ tolerance at a located point (see solve.hpp). Stalled: no method moves x any more
/// (typically a local minimum of ‖F‖ that is not a root). NotFinite: F became NaN or infinite everywhere the
/// methods tried.
enum class SolveStop {
  Converged,      ///< ‖F‖₂ ≤ tolerance at a located point
  Stalled,        ///< no method moves x any more
  MaxIterations,  ///< SolveOptions::max_iterations steps were made
  NotFinite,      ///< F became NaN or infinite everywhere the methods tried
  Asymptote       ///< ‖F‖ within the tolerance where J is singular and no root is located
};
/// The words for each SolveStop, in messages and the command line's output.
inline constexpr EnumNames<SolveStop, 5> solve_stop_names = {
    {{SolveStop::Converged, "converged"},
     {SolveStop::Stalled, "stalled: no step lowers the residual (a minimum of |F| that is not a root?)"},
     {SolveStop::MaxIterations, "iteration limit"},
     {SolveStop::NotFinite, "F is not finite"},
     {SolveStop::Asymptote,
      "the residual is within the tolerance only where J is singular and no root is located (the "
      "equations approach a root they never reach, or their values underflow to 0)"}}};
/// The words for `s`.
inline const char* to_string(SolveStop s) { return name_of(s, solve_stop_names); }

/// What solve() returns.
struct SolveResult {
  std::vector<double> x;     ///< the root, or the point of smallest ‖F‖ found
  double residual_norm = 0;  ///< ‖F(x)‖₂
  long iterations = 0;       ///< Newton and Levenberg–Marquardt steps together
  /// Why it stopped.
  SolveStop reason = SolveStop::MaxIterations;
  std::string method;  ///< "newton", "levenberg-marquardt" or "newton, then levenberg-marquardt"
  /// True when x is a root: ‖F(x)‖₂ ≤ tolerance at a located point.
  bool converged() const { return reason == SolveStop::Converged; }
};

/// A root of the n equations `equations` (a span of n Vars → a std::vector of n Vars) from `x0`, by Newton's
/// method with a line search, then Levenberg–Marquardt where Newton cannot go on (see solve.hpp). Does
/// not throw when no root is found: the result's reason says why and x is the point of smallest ‖F‖. Throws
/// tapegrad::Error for no unknowns, or equations that return a count other than n.
/// Example: \snippet test_doc_examples.cpp solve
template <class F>
SolveResult solve(F&& equations, std::span<const double> x0, const SolveOptions& options = {}) {
  const auto n = static_cast<Eigen::Index>(x0.size());
  if (n == 0) throw Error("solve: no unknowns");
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n), r, r_trial;
  Eigen::MatrixXd j;
  Tape tape;
  std::vector<Var> vars(x0.size());
  detail::residuals_and_jacobian(equations, x, tape, vars, r, &j);
  if (r.size() != n)
    throw Error("solve: " + std::to_string(r.size()) + " equations in " + std::to_string(n) +
                " unknowns; solve needs as many equations as unknowns (least_squares() takes any number)");
  SolveResult result;
  result.method = "newton";
  // ‖F(x)‖ is passed in: after Levenberg–Marquardt it comes from its f = ½‖F‖².
  const auto finish = [&](SolveStop reason, double residual_norm) {
    result.x.assign(x.data(), x.data() + n);
    result.residual_norm = residual_norm;
    result.reason = reason;
    return result;
  };
  if (!r.allFinite()) return finish(SolveStop::NotFinite, r.norm());

  // Whether x is located (see the header), from J's factorization there and the lengths
  // of the steps that led to it: the last one and the ratios of the last two pairs.
  const double located_within = 1e-8;
  const auto located = [&](const Eigen::ColPivHouseholderQR<Eigen::MatrixXd>& qr, bool regular,
                           const Eigen::VectorXd& residual, const Eigen::VectorXd& at, double last_step,
                           double ratio, double previous_ratio) {
    const double near = located_within * std::max(at.norm(), 1.0);
    if (regular && qr.solve(-residual).norm() <= near) return true;
    // Steady ratios (linear convergence), or falling ones (faster than linear); the
    // larger of the two bounds the steps still to come.
    const double rate = std::max(ratio, previous_ratio);
    return rate < 1 && ratio <= 1.05 * previous_ratio && last_step * rate / (1 - rate) <= near;
  };
  const auto factor = [](const Eigen::MatrixXd& jacobian) {
    return Eigen::ColPivHouseholderQR<Eigen::MatrixXd>(jacobian);
  };
  const auto is_regular = [&](const Eigen::MatrixXd& jacobian,
                              const Eigen::ColPivHouseholderQR<Eigen::MatrixXd>& qr) {
    return jacobian.allFinite() && qr.rank() == n;
  };

  double last_step = std::numeric_limits<double>::quiet_NaN(), ratio = last_step, previous_ratio = last_step;
  for (;;) {
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr = factor(j);
    const bool regular = is_regular(j, qr);
    const double norm = r.norm();
    if (norm <= options.tolerance && located(qr, regular, r, x, last_step, ratio, previous_ratio))
      return finish(SolveStop::Converged, norm);
    if (!regular) {
      if (norm <= options.tolerance) return finish(SolveStop::Asymptote, norm);
      break;
    }
    if (result.iterations >= options.max_iterations) return finish(SolveStop::MaxIterations, norm);
    const Eigen::VectorXd p = qr.solve(-r);
    const double phi = 0.5 * r.squaredNorm();
    double t = 1;
    bool accepted = false;
    for (; t >= 1e-4; t /= 2) {
      detail::residuals_and_jacobian(equations, x + t * p, tape, vars, r_trial, nullptr);
      if (r_trial.allFinite() && 0.5 * r_trial.squaredNorm() <= (1 - 2e-4 * t) * phi) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      break;
    }
    const Eigen::VectorXd x_next = x + t * p;
    const double step = t * p.norm();
    previous_ratio = ratio;
    ratio = step / last_step;
    last_step = step;
    result.iterations += 1;
    // A step below x's rounding: were ‖F‖ within the tolerance, the correction would
    // have located x above.
    if (x_next == x) return finish(SolveStop::Stalled, norm);
    x = x_next;
    detail::residuals_and_jacobian(equations, x, tape, vars, r, &j);
  }

  // Levenberg–Marquardt from where Newton stopped, until ‖F‖ ≤ tolerance at a located
  // point: its own steps' ratios, or J and the Newton correction there.
  result.method = result.iterations == 0 ? "levenberg-marquardt" : "newton, then levenberg-marquardt";
  const double target = 0.5 * options.tolerance * options.tolerance;
  struct AtRoot {
    double target;
    std::function<bool(std::span<const double>, bool)> located_at;
    bool on_step(const StepReport& report) const { return located_at(report.x, report.f <= target); }
  };
  // The LM steps' lengths, followed at every step; J only once ‖F‖ is within the tolerance.
  Eigen::VectorXd previous_x;
  double lm_last_step = std::numeric_limits<double>::quiet_NaN(), lm_ratio = lm_last_step,
         lm_previous_ratio = lm_last_step;
  const auto lm_located = [&](std::span<const double> at_span, bool within_tolerance) {
    const Eigen::VectorXd at = Eigen::Map<const Eigen::VectorXd>(at_span.data(), n);
    if (previous_x.size() == n) {
      const double step = (at - previous_x).norm();
      lm_previous_ratio = lm_ratio;
      lm_ratio = step / lm_last_step;
      lm_last_step = step;
    }
    previous_x = at;
    if (!within_tolerance) return false;
    Tape check_tape;  // innermost, so it records this check and no other tape
    std::vector<Var> check_vars(x0.size());
    Eigen::VectorXd check_r;
    Eigen::MatrixXd check_j;
    detail::residuals_and_jacobian(equations, at, check_tape, check_vars, check_r, &check_j);
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr = factor(check_j);
    return located(qr, is_regular(check_j, qr), check_r, at, lm_last_step, lm_ratio, lm_previous_ratio);
  };
  const MinimizeResult lm = least_squares(
      equations, std::span<const double>(x.data(), x0.size()), LevenbergMarquardtOptions{},
      StopWhen{.max_steps = options.max_iterations - result.iterations, .gradient_norm = 0, .f_change = -1},
      AtRoot{target, lm_located});
  result.iterations += lm.steps;
  x = Eigen::Map<const Eigen::VectorXd>(lm.x.data(), n);
  const double norm = std::sqrt(2 * lm.f);
  if (lm.reason == StopReason::Callback) return finish(SolveStop::Converged, norm);
  if (lm.reason == StopReason::NotFinite) return finish(SolveStop::NotFinite, norm);
  if (norm <= options.tolerance) {
    // Within the tolerance but not located: a root only if the last point is.
    detail::residuals_and_jacobian(equations, x, tape, vars, r, &j);
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr = factor(j);
    if (located(qr, is_regular(j, qr), r, x, lm_last_step, lm_ratio, lm_previous_ratio))
      return finish(SolveStop::Converged, norm);
    if (!is_regular(j, qr)) return finish(SolveStop::Asymptote, norm);
  }
  return finish(lm.reason == StopReason::MaxSteps ? SolveStop::MaxIterations : SolveStop::Stalled, norm);
}
/// solve() with the starting point as a std::vector.
template <class F>
SolveResult solve(F&& equations, const std::vector<double>& x0, const SolveOptions& options = {}) {
  return solve(equations, std::span<const double>(x0), options);
}

}  // namespace tapegrad::optim
