/// \file
/// Nonlinear least squares by Levenberg–Marquardt: minimizes ½‖r(x)‖² for residuals
/// r: span of Vars → std::vector of Vars (nonlinear regression, or a system of
/// equations), with r's Jacobian J from the tape. Each step solves (JᵀJ + μD) h = −Jᵀr,
/// with Marquardt's scaling D = the largest diag(JᵀJ) seen so far (Moré, "The
/// Levenberg–Marquardt algorithm: implementation and theory", 1978: invariant under
/// rescaling x), and updates μ by the gain ratio ρ = actual / predicted decrease as in
/// Madsen, Nielsen & Tingleff, "Methods for non-linear least squares problems" (2004),
/// Algorithm 3.16: μ ← μ·max(1/3, 1 − (2ρ − 1)³) after a step that lowers the sum of
/// squares, μ ← μ·ν, ν ← 2ν (and the step retried) after one that does not.
///
/// J is dense (one reverse sweep per residual, a dense LDLᵀ of the damped n×n system) or
/// sparse (its pattern found and colored once per run, autodiff/sparse/sparse_jacobian.hpp;
/// JᵀJ a sparse product; the damped system factored by SparseCholesky, whose ordering is
/// computed once per run), as LevenbergMarquardtOptions::jacobian says: the same iterates
/// to rounding. Broyden's tridiagonal system of 10⁵ unknowns takes 7 steps and 1 s sparse;
/// dense, 10³ unknowns took 3.2 s where sparse took 0.01 s.
///
/// It reports like minimize(): the same StopWhen, callbacks and MinimizeResult, with
/// f = ½‖r‖² and the gradient Jᵀr; a step is one accepted update, and an evaluation is
/// one of r (with J at the start and at each accepted point, without it at a trial).
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/scalar/gradient.hpp"
#include "../autodiff/sparse/sparse_jacobian.hpp"
#include "jacobian_storage.hpp"
#include "linear/sparse_cholesky.hpp"
#include "minimize.hpp"

namespace tapegrad::optim {

/// JacobianStorage::Auto stores J dense in least_squares() up to this many unknowns. On a banded system
/// (Broyden's tridiagonal function, whole runs of 7 steps) sparse took 0.4 ms against 0.3 ms at n = 30,
/// 0.6 ms against 0.9 ms at n = 60, 0.7 ms against 2.7 ms at n = 100.
inline constexpr std::size_t least_squares_dense_up_to = 50;
/// JacobianStorage::Auto stores J dense in least_squares() above least_squares_dense_up_to unknowns too when
/// its pattern has more than this fraction of its m·n entries: a nearly full J gains nothing from colors.
inline constexpr double least_squares_dense_above_density = 0.1;

/// The options of least_squares()'s Levenberg–Marquardt iterations.
struct LevenbergMarquardtOptions {
  double initial_damping = 1e-3;  ///< τ: μ₀ = τ·max diag(JᵀJ)
  int max_retries = 60;           ///< rejected trials per step before it counts as stalled
  /// Dense or sparse J (see least_squares.hpp). Auto: dense up to least_squares_dense_up_to unknowns, or when
  /// J's pattern has more than least_squares_dense_above_density of its entries; sparse otherwise.
  JacobianStorage jacobian = JacobianStorage::Auto;
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

// JᵀJ and g = Jᵀr at the accepted points, and the damped step −(JᵀJ + diag(d))⁻¹g, with
// J dense or sparse: the storage chosen once, at the start.
template <class R>
class NormalEquations {
 public:
  // Evaluates r (into `r`), J, JᵀJ and Jᵀr at the start x.
  NormalEquations(R& residuals, JacobianStorage storage, const Eigen::VectorXd& x, Eigen::VectorXd& r)
      : residuals_(residuals), vars_(static_cast<std::size_t>(x.size())) {
    const auto n = static_cast<std::size_t>(x.size());
    if (storage == JacobianStorage::Sparse ||
        (storage == JacobianStorage::Auto && n > least_squares_dense_up_to))
      make_sparse(storage, x, r);
    at(x, r);
  }

  // r, J, JᵀJ and Jᵀr at x.
  void at(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    if (!jacobian_) {
      residuals_and_jacobian(residuals_, x, tape_, vars_, r, &dense_jacobian_);
      dense_ = dense_jacobian_.transpose() * dense_jacobian_;
      g_ = dense_jacobian_.transpose() * r;
      return;
    }
    const std::span<const double> point(x.data(), static_cast<std::size_t>(x.size()));
    r.resize(static_cast<Eigen::Index>(jacobian_->rows()));
    const std::span<double> value(r.data(), static_cast<std::size_t>(r.size()));
    nonzeros_.resize(jacobian_->pattern().nonzeros());
    try {
      jacobian_->values(point, nonzeros_, value);
    } catch (const Error&) {
      // A branch that changed at x changed the pattern: the buffer takes its new size.
      if (nonzeros_.size() == jacobian_->pattern().nonzeros()) throw;
      nonzeros_.resize(jacobian_->pattern().nonzeros());
      jacobian_->values(point, nonzeros_, value);
    }
    const Eigen::SparseMatrix<double> j = jacobian_->matrix(nonzeros_);
    const Eigen::SparseMatrix<double> jt = j.transpose();
    // The diagonal is stored even where a column of J is empty, so that the damping has
    // its entries and the pattern stays one for the whole run.
    Eigen::SparseMatrix<double> zero_diagonal(j.cols(), j.cols());
    zero_diagonal.setIdentity();
    zero_diagonal *= 0.0;
    sparse_ = jt * j + zero_diagonal;
    g_ = jt * r;
  }

  // r alone at x (a trial point).
  void residuals_at(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    residuals_and_jacobian(residuals_, x, tape_, vars_, r, nullptr);
  }

  // Jᵀr at the last accepted point.
  const Eigen::VectorXd& gradient() const { return g_; }
  // diag(JᵀJ) at the last accepted point.
  Eigen::VectorXd diagonal() const {
    return jacobian_ ? Eigen::VectorXd(sparse_.diagonal()) : dense_.diagonal();
  }

  // −(JᵀJ + diag(d))⁻¹ g; empty when the sparse factorization finds the damped matrix not
  // positive definite (a damping that underflowed on a singular JᵀJ).
  Eigen::VectorXd step(const Eigen::VectorXd& d) {
    if (!jacobian_) {
      Eigen::MatrixXd damped = dense_;
      damped.diagonal() += d;
      return damped.ldlt().solve(-g_);
    }
    Eigen::SparseMatrix<double> damped = sparse_;
    for (Eigen::Index k = 0; k < d.size(); ++k) damped.coeffRef(k, k) += d(k);
    if (!cholesky_.factor(damped)) return {};
    return cholesky_.solve(-g_);
  }

 private:
  // The sparse J at x, unless Auto finds its pattern too full (or not to be found).
  void make_sparse(JacobianStorage storage, const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    const auto n = static_cast<std::size_t>(x.size());
    SparseJacobianOptions options;
    if (storage == JacobianStorage::Auto) {
      residuals_at(x, r);
      const auto m = static_cast<std::size_t>(r.size());
      options.max_nonzeros = std::min(
          options.max_nonzeros, static_cast<std::size_t>(least_squares_dense_above_density *
                                                         static_cast<double>(m) * static_cast<double>(n)));
    }
    const auto by_reference = [this](auto v) -> decltype(residuals_(v)) { return residuals_(v); };
    try {
      jacobian_.emplace(by_reference, std::span<const double>(x.data(), n), options);
    } catch (const Error&) {
      if (storage == JacobianStorage::Sparse) throw;
    }
  }

  R& residuals_;
  Tape tape_;
  std::vector<Var> vars_;
  Eigen::VectorXd g_;
  // Dense storage.
  Eigen::MatrixXd dense_jacobian_, dense_;
  // Sparse storage.
  std::optional<SparseJacobian> jacobian_;
  std::vector<double> nonzeros_;
  Eigen::SparseMatrix<double> sparse_;
  SparseCholesky cholesky_;
};

}  // namespace detail

/// Minimizes ½‖r(x)‖² from `x0` by Levenberg–Marquardt (see least_squares.hpp): `residuals` takes a span of
/// Vars and returns a std::vector of Vars; stopped by `stop` as minimize() is, with f = ½‖r‖² and the
/// gradient Jᵀr; callbacks as minimize()'s. With J dense, each step costs one recording and one reverse sweep
/// per residual (the Jacobian) and a factorization of an n×n matrix; with J sparse, one replay sweeping its
/// colors and a sparse Cholesky factorization (options.jacobian).
/// Example: \snippet test_doc_examples.cpp least_squares
template <class R, class... Callbacks>
MinimizeResult least_squares(R&& residuals, std::span<const double> x0,
                             const LevenbergMarquardtOptions& options, const StopWhen& stop,
                             Callbacks&&... callbacks) {
  const auto n = static_cast<Eigen::Index>(x0.size());
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n), r, r_trial;
  detail::NormalEquations<std::remove_reference_t<R>> normal(residuals, options.jacobian, x, r);
  long evaluations = 1;
  double f = 0.5 * r.squaredNorm(), previous_f = f;
  Eigen::VectorXd g = normal.gradient();
  Eigen::VectorXd scale = normal.diagonal().cwiseMax(1e-300);
  double mu = options.initial_damping * normal.diagonal().maxCoeff(), nu = 2;
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
      const Eigen::VectorXd h = normal.step(mu * scale);
      if (h.size() == 0) {  // not positive definite: more damping
        mu *= nu;
        nu *= 2;
        continue;
      }
      const Eigen::VectorXd x_trial = x + h;
      normal.residuals_at(x_trial, r_trial);
      ++evaluations;
      const double f_trial = 0.5 * r_trial.squaredNorm();
      const double predicted = 0.5 * h.dot(mu * scale.cwiseProduct(h) - g);
      const double rho = predicted > 0 ? (f - f_trial) / predicted : -1;
      if (std::isfinite(f_trial) && rho > 0 && x_trial != x) {
        x = x_trial;
        normal.at(x, r);
        ++evaluations;
        f = 0.5 * r.squaredNorm();
        g = normal.gradient();
        scale = scale.cwiseMax(normal.diagonal());
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
