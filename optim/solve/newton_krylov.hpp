/// \file
/// solve()'s Newton–Krylov method: inexact Newton steps J p ≈ −F solved by restarted GMRES
/// (linear/gmres.hpp) on exact J·v products swept forward over F's recording at the iterate
/// (recorded_system.hpp), so no Jacobian is ever formed: memory is the recording plus GMRES's
/// basis, whatever J's sparsity.
///
/// Each GMRES solve stops at the relative residual ‖F + J p‖ ≤ η‖F‖ with Eisenstat and Walker's
/// forcing term, choice 2 ("Choosing the forcing terms in an inexact Newton method", SIAM J.
/// Sci. Comput. 17, 1996) as scipy's newton_krylov applies it: η₀ = 10⁻³, then
/// η = γ‖F_new‖²/‖F_old‖² (γ = 0.9), kept at least γη_old² unless that is below 0.1, at most
/// 0.9999, and GMRES's tolerance min(η, η‖F‖); plus Kelley's guard against solving more
/// accurately than the tolerance needs, η ≥ ½·tolerance/‖F‖. A backtracking line search on
/// ‖F‖ follows: the step p·t with t halved from 1 down to 10⁻⁴ until ‖F(x + tp)‖ ≤
/// (1 − 10⁻⁴·t·(1 − ρ))‖F(x)‖, ρ the relative residual GMRES reached (p is a descent
/// direction of ‖F‖² whenever ρ < 1). No step length, or ρ = 1, ends the run as Stalled:
/// there is no matrix to hand to Levenberg–Marquardt.
///
/// A preconditioner (SolveOptions::preconditioner) is built at the first iterate and kept for up
/// to krylov_preconditioner_reuse steps, as KINSOL keeps one: one built at an earlier iterate
/// that leaves GMRES short of its tolerance is built anew at once and the step solved again.
///
/// Located: where ‖F‖ ≤ tolerance the step is solved to a relative residual of at most 10⁻⁸,
/// and its length is the Newton correction of the located-root rule: it is within 10⁻⁸·κ(J)
/// of the exact correction, where a looser solve would leave out the directions J nearly
/// annihilates (at a near-multiple root, the very ones still to go). A GMRES that reaches
/// 10⁻⁸ says J is regular enough, and then that correction decides alone, the step lengths
/// not at all: inexact steps can be short without the root being near. One that cannot lower
/// the residual at all says J is singular (an asymptote); the steps' rule judges the rest.
/// Where F is exactly 0 there is nothing to solve, so J's regularity is probed instead:
/// J z = J w by GMRES for a fixed w gives back w (to 10⁻⁴) only if J has no null space that
/// w reaches; a J·w that is not finite (a partial that is not: sqrt(x) = 0 at x = 0) ends it
/// as dense Newton ends where its J is not finite, an asymptote unless the steps located x.
///
/// Known limit: near a nearly singular J the Newton direction can be so long that no step
/// length down to 10⁻⁴ lowers ‖F‖ (Moré, Garbow & Hillstrom's Brown almost-linear system
/// from its standard start stalls so after two steps, where Newton's hand-over to
/// Levenberg–Marquardt goes on to the root).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "../linear/gmres.hpp"
#include "located.hpp"
#include "newton_line_search.hpp"
#include "recorded_system.hpp"
#include "solve_options.hpp"

namespace tapegrad::optim::detail {

// Newton–Krylov from x, where `system` has recorded F(x) = r.
template <class F>
SolveResult newton_krylov(RecordedSystem<F>& system, Eigen::VectorXd x, Eigen::VectorXd r,
                          const SolveOptions& options) {
  SolveResult result;
  result.method = "newton-krylov";
  result.linear_solver = "GMRES(" + std::to_string(options.krylov_restart) + ")";
  const double gamma = 0.9, eta_max = 0.9999, eta_threshold = 0.1, locating_tolerance = 1e-8;
  double eta = 1e-3;
  StepHistory steps;
  const auto finish = [&](SolveStop reason, double norm) {
    return finish_solve(result, system, x, reason, norm);
  };
  const auto times = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { system.times(v, out); };
  // The preconditioner and the Newton steps it has served: a new one when none has been built, when
  // the last served krylov_preconditioner_reuse steps, and when one built at an earlier iterate
  // leaves GMRES short of its tolerance (then the step is solved again).
  KrylovPreconditioner m;
  long steps_served = 0;
  const auto renew_preconditioner = [&] {
    m = options.preconditioner(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
    ++result.preconditioner_setups;
    steps_served = 0;
  };
  // GMRES with the current preconditioner; one built at an earlier iterate that leaves it short
  // of the tolerance is built anew here and the system solved again.
  const auto solve_linear = [&](const Eigen::VectorXd& b, double tolerance) {
    const auto run = [&] {
      const GmresResult g =
          gmres(times, b, {tolerance, options.krylov_restart, options.krylov_max_iterations}, m);
      result.linear_iterations += g.iterations;
      return g;
    };
    GmresResult g = run();
    if (!g.converged && options.preconditioner && steps_served > 0) {
      renew_preconditioner();
      g = run();
    }
    return g;
  };
  Eigen::VectorXd r_trial;
  for (;;) {
    const double norm = r.norm();
    if (result.iterations >= options.max_iterations && norm > options.tolerance)
      return finish(SolveStop::MaxIterations, norm);
    if (options.preconditioner &&
        (result.preconditioner_setups == 0 || steps_served >= options.krylov_preconditioner_reuse))
      renew_preconditioner();
    double tolerance = std::min(eta_max, std::max(std::min(eta, eta * norm), 0.5 * options.tolerance / norm));
    if (norm <= options.tolerance) tolerance = std::min(tolerance, locating_tolerance);
    if (norm == 0) {
      // Nothing to solve; J's regularity from a product whose preimage is known. A product
      // that is not finite meets a partial that is not (sqrt(x) = 0 at x = 0): J is no
      // matrix there, as a dense J that is not finite is no regular one.
      Eigen::VectorXd w(x.size()), jw;
      for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = 1 + 0.5 * std::sin(1.0 + static_cast<double>(i));
      times(w, jw);
      if (!jw.allFinite())
        return finish(located(false, 0.0, x, steps) ? SolveStop::Converged : SolveStop::Asymptote, norm);
      const GmresResult probe = solve_linear(jw, 1e-8);
      const bool regular = probe.converged && (probe.x - w).norm() <= 1e-4 * w.norm();
      return finish(located(regular, 0.0, x, steps) ? SolveStop::Converged : SolveStop::Asymptote, norm);
    }
    const GmresResult step = solve_linear(-r, tolerance);
    if (norm <= options.tolerance) {
      // An accurate correction decides alone: the steps before it were inexact, and a short one
      // (a loose solve that lowered ‖F‖ without nearing the root) would fake convergence.
      const bool regular = step.relative_residual <= locating_tolerance;
      if (regular ? step.x.norm() <= location_bound(x) : steps.converging_within(location_bound(x)))
        return finish(SolveStop::Converged, norm);
      if (!(step.relative_residual < 1)) return finish(SolveStop::Asymptote, norm);
      if (result.iterations >= options.max_iterations) return finish(SolveStop::MaxIterations, norm);
    }
    const double rho = step.relative_residual;
    if (!(rho < 1)) return finish(SolveStop::Stalled, norm);
    const Eigen::VectorXd& p = step.x;
    double t = 1;
    bool accepted = false;
    for (; t >= 1e-4; t /= 2) {
      system.values(x + t * p, r_trial);
      if (r_trial.allFinite() && r_trial.norm() <= (1 - 1e-4 * t * (1 - rho)) * norm) {
        accepted = true;
        break;
      }
    }
    if (!accepted) return finish(SolveStop::Stalled, norm);
    const Eigen::VectorXd x_next = x + t * p;
    steps.add(t * p.norm());
    result.iterations += 1;
    ++steps_served;
    if (x_next == x) return finish(SolveStop::Stalled, norm);
    x = x_next;
    r = r_trial;
    const double new_norm = r.norm();
    const double eta_a = gamma * (new_norm / norm) * (new_norm / norm);
    eta = gamma * eta * eta < eta_threshold ? std::min(eta_max, eta_a)
                                            : std::min(eta_max, std::max(eta_a, gamma * eta * eta));
  }
}

}  // namespace tapegrad::optim::detail
