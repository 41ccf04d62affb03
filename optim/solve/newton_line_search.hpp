/// \file
/// solve()'s Newton method on a system with a Jacobian matrix (dense_system.hpp or
/// sparse_system.hpp): J p = −F, a backtracking line search on φ = ½‖F‖² (Armijo:
/// φ(x + tp) ≤ (1 − 2·10⁻⁴·t)·φ(x), since ∇φ·p = −‖F‖² = −2φ, t halved from 1 down to 10⁻⁴), and
/// Levenberg–Marquardt (least_squares.hpp) on ½‖F‖² from wherever Newton cannot go on (J
/// singular, or no step length lowers φ): it needs no invertible J and ends quadratically at a
/// root where J is regular. Both are held to the located-root rule (located.hpp).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../least_squares.hpp"
#include "located.hpp"
#include "solve_options.hpp"

namespace tapegrad::optim::detail {

// Newton from x, where `system` holds F(x) = r and J(x); then Levenberg–Marquardt with J
// stored as the system stores it (a sparse system's pattern and coloring passed on).
template <class F, class System>
SolveResult newton_line_search(F& equations, System& system, Eigen::VectorXd x, Eigen::VectorXd r,
                               const SolveOptions& options) {
  const Eigen::Index n = x.size();
  SolveResult result;
  result.method = "newton";
  result.linear_solver = system.linear_solver();
  Eigen::VectorXd r_trial;
  StepHistory steps;
  for (;;) {
    const bool regular = system.regular();
    const double norm = r.norm();
    const Eigen::VectorXd p = regular ? system.newton_step(r) : Eigen::VectorXd();
    if (norm <= options.tolerance && located(regular, regular ? p.norm() : 0.0, x, steps))
      return finish_solve(result, system, x, SolveStop::Converged, norm);
    if (!regular) {
      if (norm <= options.tolerance) return finish_solve(result, system, x, SolveStop::Asymptote, norm);
      break;
    }
    if (result.iterations >= options.max_iterations)
      return finish_solve(result, system, x, SolveStop::MaxIterations, norm);
    const double phi = 0.5 * r.squaredNorm();
    double t = 1;
    bool accepted = false;
    for (; t >= 1e-4; t /= 2) {
      system.values(x + t * p, r_trial);
      if (r_trial.allFinite() && 0.5 * r_trial.squaredNorm() <= (1 - 2e-4 * t) * phi) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    const Eigen::VectorXd x_next = x + t * p;
    steps.add(t * p.norm());
    result.iterations += 1;
    // A step below x's rounding: were ‖F‖ within the tolerance, the correction would
    // have located x above.
    if (x_next == x) return finish_solve(result, system, x, SolveStop::Stalled, norm);
    x = x_next;
    r = r_trial;
    system.jacobian_at(x);
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
  StepHistory lm_steps;
  Eigen::VectorXd check_r;
  const auto located_by_system = [&](const Eigen::VectorXd& at) {
    system.values(at, check_r);
    system.jacobian_at(at);
    const bool regular = system.regular();
    return std::pair{regular,
                     located(regular, regular ? system.newton_step(check_r).norm() : 0.0, at, lm_steps)};
  };
  const auto lm_located = [&](std::span<const double> at_span, bool within_tolerance) {
    const Eigen::VectorXd at = Eigen::Map<const Eigen::VectorXd>(at_span.data(), n);
    if (previous_x.size() == n) lm_steps.add((at - previous_x).norm());
    previous_x = at;
    if (!within_tolerance) return false;
    return located_by_system(at).second;
  };
  LevenbergMarquardtOptions lm_options;
  lm_options.jacobian = System::storage;
  SparseJacobian* shared = nullptr;
  if constexpr (System::storage == JacobianStorage::Sparse) shared = &system.jacobian();
  const LeastSquaresRun run = least_squares_with(
      equations, std::span<const double>(x.data(), static_cast<std::size_t>(n)), lm_options, shared,
      StopWhen{.max_steps = options.max_iterations - result.iterations, .gradient_norm = 0, .f_change = -1},
      AtRoot{target, lm_located});
  const MinimizeResult& lm = run.result;
  result.iterations += lm.steps;
  result.evaluations += lm.evaluations;
  result.jacobian_evaluations += run.jacobian_evaluations;
  x = Eigen::Map<const Eigen::VectorXd>(lm.x.data(), n);
  const double norm = std::sqrt(2 * lm.f);
  if (lm.reason == StopReason::Callback) return finish_solve(result, system, x, SolveStop::Converged, norm);
  if (lm.reason == StopReason::NotFinite) return finish_solve(result, system, x, SolveStop::NotFinite, norm);
  if (norm <= options.tolerance) {
    // Within the tolerance but not located: a root only if the last point is.
    const auto [regular, is_located] = located_by_system(x);
    if (is_located) return finish_solve(result, system, x, SolveStop::Converged, norm);
    if (!regular) return finish_solve(result, system, x, SolveStop::Asymptote, norm);
  }
  return finish_solve(result, system, x,
                      lm.reason == StopReason::MaxSteps ? SolveStop::MaxIterations : SolveStop::Stalled,
                      norm);
}

}  // namespace tapegrad::optim::detail
