/// \file
/// solve()'s dogleg: Powell's hybrid method as MINPACK's hybrj runs it (Moré, Garbow & Hillstrom,
/// "User guide for MINPACK-1", ANL-80-74, 1980), with the exact Jacobian from the tape at every
/// point a step reaches instead of hybrj's Broyden updates between evaluations.
///
/// Each step minimizes the Gauss–Newton model ‖F + J s‖ over the dogleg path within the trust
/// region ‖D s‖ ≤ Δ: the Gauss–Newton step when it fits in the region; else, when the model's
/// minimum along the scaled steepest descent (the Cauchy point) lies outside, the step along
/// that direction to the boundary; else the point where the segment from the Cauchy point to
/// the Gauss–Newton step leaves the region. D scales the variables by J's column norms, each
/// the largest seen so far (0 taken as 1), so the steps do not depend on the units of x. Δ
/// starts at factor·‖D x₀‖ (or factor, when that is 0; SolveOptions::trust_radius_factor, 100
/// as in hybrj1), capped by the first step's length, and follows hybrj's rules on ρ = actual /
/// predicted reduction of ‖F‖²: halved when ρ < 0.1; set to at least 2‖D s‖ when ρ ≥ 0.5 or
/// after two successes in a row; set to 2‖D s‖ when |ρ − 1| ≤ 0.1. A step with ρ ≥ 10⁻⁴ is
/// taken, and J is evaluated afresh where it lands.
///
/// Where J is singular, the Gauss–Newton step is column-pivoting QR's least-squares solution
/// (hybrj instead perturbs R's zero pivots to ε times the column's largest entry); a sparse J
/// that its LU finds singular leaves the gradient's Cauchy step alone. It stops as Stalled
/// where hybrj gives up: Δ below the rounding of x (its info 3), ‖F‖² lowered by less than 10%
/// by the first steps after five Jacobians in a row (info 4) or by less than 0.1% in ten steps
/// in a row (info 5). Roots are judged by the located-root rule (located.hpp), not by hybrj's
/// test on Δ.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "located.hpp"
#include "newton_line_search.hpp"
#include "solve_options.hpp"

namespace tapegrad::optim::detail {

// The dogleg step s for the model ‖r + J s‖ within ‖D s‖ ≤ delta. `gauss_newton`: J⁻¹(−r)
// or a least-squares solution, none when unknown; `gradient`: Jᵀr; `times(v)`: J·v.
template <class Times>
Eigen::VectorXd dogleg_step(const Eigen::VectorXd& diag, double delta, double r_norm,
                            const std::optional<Eigen::VectorXd>& gauss_newton,
                            const Eigen::VectorXd& gradient, Times&& times) {
  double qnorm = std::numeric_limits<double>::infinity();
  if (gauss_newton) {
    qnorm = diag.cwiseProduct(*gauss_newton).norm();
    if (qnorm <= delta) return *gauss_newton;
  }
  // The scaled gradient and, along it, the distance (in ‖D·‖) to the model's minimum.
  const Eigen::VectorXd scaled = gradient.cwiseQuotient(diag);
  const double gnorm = scaled.norm();
  if (gnorm == 0) {
    if (!gauss_newton) return Eigen::VectorXd::Zero(diag.size());
    return (delta / qnorm) * *gauss_newton;
  }
  const Eigen::VectorXd direction = (scaled / gnorm).cwiseQuotient(diag);  // ‖D·direction‖ = 1
  const double jd = times(direction).norm();
  const double sgnorm = (gnorm / jd) / jd;
  if (sgnorm >= delta || !gauss_newton) return -std::min(sgnorm, delta) * direction;
  // The point of the segment from the Cauchy point to the Gauss–Newton step on the
  // boundary, in hybrj's cancellation-free form.
  const double d_q = delta / qnorm, s_d = sgnorm / delta;
  double temp = (r_norm / gnorm) * (r_norm / qnorm) * s_d;
  temp = temp - d_q * s_d * s_d + std::sqrt((temp - d_q) * (temp - d_q) + (1 - d_q * d_q) * (1 - s_d * s_d));
  const double alpha = d_q * (1 - s_d * s_d) / temp;
  return -(1 - alpha) * sgnorm * direction + alpha * *gauss_newton;
}

// The dogleg from x, where `system` holds F(x) = r and J(x).
template <class System>
SolveResult dogleg(System& system, Eigen::VectorXd x, Eigen::VectorXd r, const SolveOptions& options) {
  SolveResult result;
  result.method = "dogleg";
  result.linear_solver = system.linear_solver();
  const double epsilon = std::numeric_limits<double>::epsilon();
  const auto times = [&](const Eigen::VectorXd& v) { return system.times(v); };

  Eigen::VectorXd diag = system.column_norms();
  for (Eigen::Index k = 0; k < diag.size(); ++k)
    if (!(diag(k) > 0) || !std::isfinite(diag(k))) diag(k) = 1;
  double x_norm = diag.cwiseProduct(x).norm();
  double delta = options.trust_radius_factor * x_norm;
  if (delta == 0) delta = options.trust_radius_factor;
  bool first = true;
  int successes = 0, slow_steps = 0, slow_jacobians = 0;
  StepHistory steps;
  Eigen::VectorXd r_trial;
  // Where ‖F(x)‖ is within the tolerance: a root if x is located, an asymptote if J is
  // singular. `gauss_newton`: the system's step at x, which is the Newton correction (and
  // present) where J is regular.
  const auto at_root = [&](const std::optional<Eigen::VectorXd>& gauss_newton) -> std::optional<SolveStop> {
    if (!(r.norm() <= options.tolerance)) return std::nullopt;
    const bool regular = system.regular();
    if (located(regular, regular ? gauss_newton->norm() : 0.0, x, steps)) return SolveStop::Converged;
    if (!regular) return SolveStop::Asymptote;
    return std::nullopt;
  };
  for (;;) {
    const double norm = r.norm();
    const std::optional<Eigen::VectorXd> gauss_newton = system.gauss_newton_step(r);
    if (const std::optional<SolveStop> stop = at_root(gauss_newton); stop)
      return finish_solve(result, system, x, *stop, norm);
    const Eigen::VectorXd columns = system.column_norms();
    for (Eigen::Index k = 0; k < diag.size(); ++k)
      if (std::isfinite(columns(k))) diag(k) = std::max(diag(k), columns(k));
    const Eigen::VectorXd gradient = system.transpose_times(r);
    if (!gradient.allFinite()) return finish_solve(result, system, x, SolveStop::NotFinite, norm);
    bool fresh_jacobian = true;
    for (;;) {
      if (result.iterations >= options.max_iterations)
        return finish_solve(result, system, x, SolveStop::MaxIterations, norm);
      const Eigen::VectorXd s = dogleg_step(diag, delta, norm, gauss_newton, gradient, times);
      const double s_norm = diag.cwiseProduct(s).norm();
      if (first) delta = std::min(delta, s_norm);
      const Eigen::VectorXd x_trial = x + s;
      system.values(x_trial, r_trial);
      result.iterations += 1;
      const double trial_norm =
          r_trial.allFinite() ? r_trial.norm() : std::numeric_limits<double>::infinity();
      const double actual = trial_norm < norm ? 1 - (trial_norm / norm) * (trial_norm / norm) : -1;
      const double model_norm = (r + system.times(s)).norm();
      const double predicted = model_norm < norm ? 1 - (model_norm / norm) * (model_norm / norm) : 0;
      const double ratio = predicted > 0 ? actual / predicted : 0;

      if (ratio < 0.1) {
        successes = 0;
        delta *= 0.5;
      } else {
        ++successes;
        if (ratio >= 0.5 || successes > 1) delta = std::max(delta, s_norm / 0.5);
        if (std::abs(ratio - 1) <= 0.1) delta = s_norm / 0.5;
      }
      const bool accepted = ratio >= 1e-4 && x_trial != x;
      slow_steps = actual >= 0.001 ? 0 : slow_steps + 1;
      if (fresh_jacobian) ++slow_jacobians;
      if (actual >= 0.1) slow_jacobians = 0;
      fresh_jacobian = false;
      if (accepted) {
        steps.add(s.norm());
        x = x_trial;
        r = r_trial;
        x_norm = diag.cwiseProduct(x).norm();
        first = false;
      }
      // hybrj's ends short of a root: the region below x's rounding, or too little progress.
      if (0.1 * std::max(0.1 * delta, s_norm) <= epsilon * x_norm || slow_jacobians == 5 ||
          slow_steps == 10) {
        std::optional<SolveStop> stop;
        if (!accepted) {
          stop = at_root(gauss_newton);
        } else {
          system.jacobian_at(x);
          if (r.norm() <= options.tolerance) stop = at_root(system.gauss_newton_step(r));
        }
        return finish_solve(result, system, x, stop.value_or(SolveStop::Stalled), r.norm());
      }
      if (accepted) {
        system.jacobian_at(x);
        break;
      }
    }
  }
}

}  // namespace tapegrad::optim::detail
