/// \file
/// solve(F, x0): a root of n equations in n unknowns, F: span of Vars → std::vector of n
/// Vars. Newton's method on the tape's Jacobian (J p = −F, by column-pivoting QR, which
/// also says when J is singular), with a backtracking line search on φ = ½‖F‖² (Armijo:
/// φ(x + tp) ≤ (1 − 2·10⁻⁴·t)·φ(x), since ∇φ·p = −‖F‖² = −2φ). When Newton cannot go on
/// (J singular, or no step length down to 10⁻⁴ lowers φ) it hands the point to
/// Levenberg–Marquardt (least_squares.hpp) on ½‖F‖², which needs no invertible Jacobian
/// and ends quadratically at a root where J is regular.
///
/// What counts as a root: ‖F‖ ≤ tolerance at the start, or exactly 0 where J is regular,
/// or ‖F‖ ≤ tolerance once the iterates converge to the point (the last Newton step at
/// most 0.9 times the one before). A residual that falls within the tolerance while the
/// steps keep their length is an asymptote, not a root: exp(x) = 0 steps by −1 forever,
/// its residual underflowing to 0 with J; that ends as SolveStop::Asymptote (or at the
/// iteration limit), never as a root.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "least_squares.hpp"

namespace tapegrad::optim {

/// The options of solve().
struct SolveOptions {
  double tolerance = 1e-12;  ///< stop when ‖F(x)‖₂ is at most this
  /// Newton and Levenberg–Marquardt steps at most, together.
  long max_iterations = 200;
};

/// Converged: ‖F‖ ≤ tolerance. Stalled: no method moves x any more (typically a local
/// minimum of ‖F‖ that is not a root). NotFinite: F became NaN or infinite everywhere
/// the methods tried.
enum class SolveStop {
  Converged,      ///< ‖F‖₂ ≤ tolerance
  Stalled,        ///< no method moves x any more
  MaxIterations,  ///< SolveOptions::max_iterations steps were made
  NotFinite,      ///< F became NaN or infinite everywhere the methods tried
  Asymptote       ///< ‖F‖ vanished while the steps did not shrink, where J is singular
};
/// The words for each SolveStop, in messages and the command line's output.
inline constexpr EnumNames<SolveStop, 5> solve_stop_names = {
    {{SolveStop::Converged, "converged"},
     {SolveStop::Stalled, "stalled: no step lowers the residual (a minimum of |F| that is not a root?)"},
     {SolveStop::MaxIterations, "iteration limit"},
     {SolveStop::NotFinite, "F is not finite"},
     {SolveStop::Asymptote,
      "the residual fell within the tolerance only as x ran off, the steps keeping their length, and J is "
      "singular there (the equations approach a root they never reach)"}}};
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
  /// True when ‖F(x)‖₂ ≤ tolerance.
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

  bool newton_stuck = false;
  double last_step = std::numeric_limits<double>::quiet_NaN();
  bool converging = false;  // the last step at most 0.9 times the one before
  while (result.iterations < options.max_iterations) {
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(j);
    const bool regular = j.allFinite() && qr.rank() == n;
    const double norm = r.norm();
    if (norm <= options.tolerance && (result.iterations == 0 || converging || (norm == 0 && regular)))
      return finish(SolveStop::Converged, norm);
    if (!regular) {
      if (norm <= options.tolerance) return finish(SolveStop::Asymptote, norm);
      newton_stuck = true;
      break;
    }
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
      newton_stuck = true;
      break;
    }
    const Eigen::VectorXd x_next = x + t * p;
    const double step = t * p.norm();
    converging = step <= 0.9 * last_step;
    last_step = step;
    result.iterations += 1;
    if (x_next == x)
      return finish(r.norm() <= options.tolerance ? SolveStop::Converged : SolveStop::Stalled, r.norm());
    x = x_next;
    detail::residuals_and_jacobian(equations, x, tape, vars, r, &j);
  }
  if (!newton_stuck)
    return finish(
        r.norm() <= options.tolerance && converging ? SolveStop::Converged : SolveStop::MaxIterations,
        r.norm());

  // Levenberg–Marquardt from where Newton stopped, until ‖F‖ ≤ tolerance.
  result.method = result.iterations == 0 ? "levenberg-marquardt" : "newton, then levenberg-marquardt";
  const double target = 0.5 * options.tolerance * options.tolerance;
  struct AtTarget {
    double target;
    bool on_step(const StepReport& report) const { return report.f <= target; }
  };
  const MinimizeResult lm = least_squares(
      equations, std::span<const double>(x.data(), x0.size()), LevenbergMarquardtOptions{},
      StopWhen{.max_steps = options.max_iterations - result.iterations, .gradient_norm = 0, .f_change = -1},
      AtTarget{target});
  result.iterations += lm.steps;
  x = Eigen::Map<const Eigen::VectorXd>(lm.x.data(), n);
  const double norm = std::sqrt(2 * lm.f);
  if (norm <= options.tolerance) return finish(SolveStop::Converged, norm);
  if (lm.reason == StopReason::NotFinite) return finish(SolveStop::NotFinite, norm);
  return finish(lm.reason == StopReason::MaxSteps ? SolveStop::MaxIterations : SolveStop::Stalled, norm);
}
/// solve() with the starting point as a std::vector.
template <class F>
SolveResult solve(F&& equations, const std::vector<double>& x0, const SolveOptions& options = {}) {
  return solve(equations, std::span<const double>(x0), options);
}

}  // namespace tapegrad::optim
