/// \file
/// Nonlinear least squares by Levenberg–Marquardt: minimizes ½‖r(x)‖² for residuals
/// r: span of Vars → std::vector of Vars (nonlinear regression, or a system of
/// equations), with r's Jacobian J from the tape (one recording, one reverse sweep per
/// residual). Each step solves (JᵀJ + μD) h = −Jᵀr, with Marquardt's scaling D = the
/// largest diag(JᵀJ) seen so far (Moré, "The Levenberg–Marquardt algorithm:
/// implementation and theory", 1978: invariant under rescaling x), and updates μ by the
/// gain ratio ρ = actual / predicted decrease as in Madsen, Nielsen & Tingleff, "Methods
/// for non-linear least squares problems" (2004), Algorithm 3.16: μ ← μ·max(1/3,
/// 1 − (2ρ − 1)³) after a step that lowers the sum of squares, μ ← μ·ν, ν ← 2ν (and the
/// step retried) after one that does not.
///
/// It reports like minimize(): the same StopWhen, callbacks and MinimizeResult, with
/// f = ½‖r‖² and the gradient Jᵀr; a step is one accepted update, and an evaluation is
/// one of r (with J at the start and at each accepted point, without it at a trial).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/scalar/gradient.hpp"
#include "minimize.hpp"

namespace tapegrad::optim {

/// The options of least_squares()'s Levenberg–Marquardt iterations.
struct LevenbergMarquardtOptions {
  double initial_damping = 1e-3;  ///< τ: μ₀ = τ·max diag(JᵀJ)
  int max_retries = 60;           ///< rejected trials per step before it counts as stalled
};

namespace detail {

// r(x) and J(x) on `tape` (cleared first).
template <class R>
void residuals_and_jacobian(R& residuals, const Eigen::VectorXd& x, Tape& tape, std::vector<Var>& vars,
                            Eigen::VectorXd& r, Eigen::MatrixXd* jacobian) {
  tape.clear();
  for (Eigen::Index i = 0; i < x.size(); ++i) vars[static_cast<std::size_t>(i)] = x(i);
  std::vector<Var> ys;
  for (const auto& y : tapegrad::detail::call_on(residuals, vars)) ys.emplace_back(y);
  r.resize(static_cast<Eigen::Index>(ys.size()));
  for (std::size_t i = 0; i < ys.size(); ++i) r(static_cast<Eigen::Index>(i)) = ys[i].value();
  if (jacobian) *jacobian = tapegrad::jacobian(std::span<const Var>(ys), std::span<const Var>(vars));
}

}  // namespace detail

/// Minimizes ½‖r(x)‖² from `x0` by Levenberg–Marquardt (see least_squares.hpp): `residuals` takes a span of
/// Vars and returns a std::vector of Vars; stopped by `stop` as minimize() is, with f = ½‖r‖² and the
/// gradient Jᵀr; callbacks as minimize()'s. Each step costs one recording and one reverse sweep per residual
/// (the Jacobian) and a Cholesky factorization of an n×n matrix.
/// Example: \snippet test_doc_examples.cpp least_squares
template <class R, class... Callbacks>
MinimizeResult least_squares(R&& residuals, std::span<const double> x0,
                             const LevenbergMarquardtOptions& options, const StopWhen& stop,
                             Callbacks&&... callbacks) {
  const auto n = static_cast<Eigen::Index>(x0.size());
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n), r, r_trial;
  Eigen::MatrixXd j;
  Tape tape;
  std::vector<Var> vars(x0.size());
  detail::residuals_and_jacobian(residuals, x, tape, vars, r, &j);
  long evaluations = 1;
  double f = 0.5 * r.squaredNorm(), previous_f = f;
  Eigen::MatrixXd a = j.transpose() * j;
  Eigen::VectorXd g = j.transpose() * r;
  Eigen::VectorXd scale = a.diagonal().cwiseMax(1e-300);
  double mu = options.initial_damping * a.diagonal().maxCoeff(), nu = 2;
  if (!(mu > 0)) mu = options.initial_damping;

  long step = 0;
  StopReason reason = StopReason::MaxSteps;
  bool moved = true;
  for (;; ++step) {
    const double norm = g.norm();
    const StepReport report{step, f, norm, std::span<const double>(x.data(), x0.size()),
                            std::span<const double>(g.data(), x0.size())};
    bool stop_early = false;
    ((stop_early = detail::report_step(callbacks, report) || stop_early), ...);
    if (const auto why = detail::stop_reason(stop, step, f, previous_f, norm, stop_early, moved)) {
      reason = *why;
      break;
    }
    previous_f = f;
    moved = false;
    for (int retry = 0; retry < options.max_retries && !moved; ++retry) {
      Eigen::MatrixXd damped = a;
      damped.diagonal() += mu * scale;
      const Eigen::VectorXd h = damped.ldlt().solve(-g);
      const Eigen::VectorXd x_trial = x + h;
      detail::residuals_and_jacobian(residuals, x_trial, tape, vars, r_trial, nullptr);
      ++evaluations;
      const double f_trial = 0.5 * r_trial.squaredNorm();
      const double predicted = 0.5 * h.dot(mu * scale.cwiseProduct(h) - g);
      const double rho = predicted > 0 ? (f - f_trial) / predicted : -1;
      if (std::isfinite(f_trial) && rho > 0 && x_trial != x) {
        x = x_trial;
        detail::residuals_and_jacobian(residuals, x, tape, vars, r, &j);
        ++evaluations;
        f = 0.5 * r.squaredNorm();
        a = j.transpose() * j;
        g = j.transpose() * r;
        scale = scale.cwiseMax(a.diagonal());
        mu *= std::max(1.0 / 3, 1 - std::pow(2 * rho - 1, 3));
        nu = 2;
        moved = true;
      } else {
        mu *= nu;
        nu *= 2;
      }
    }
  }
  MinimizeResult result{std::vector<double>(x.data(), x.data() + n), f, g.norm(), step, reason};
  result.evaluations = evaluations;
  (detail::report_end(callbacks, result), ...);
  return result;
}
/// least_squares() with the starting point as a std::vector.
template <class R, class... Callbacks>
MinimizeResult least_squares(R&& residuals, const std::vector<double>& x0,
                             const LevenbergMarquardtOptions& options = {}, const StopWhen& stop = {},
                             Callbacks&&... callbacks) {
  return least_squares(residuals, std::span<const double>(x0), options, stop, callbacks...);
}

}  // namespace tapegrad::optim
