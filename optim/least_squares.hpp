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
/// one of r (with J at the start and at each accepted point, without it at a trial). A
/// sparse J's pattern is found from one more recording at the start, which is setup (as
/// the coloring is) and not counted: dense and sparse runs count the same evaluations.
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
#include <string_view>
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

// r(x) recorded on `tape` (cleared first, the active tape): the inputs in `vars` (one per
// entry of x), the outputs in `ys`, their values in `r`.
template <class R>
void record_residuals(R& residuals, const Eigen::VectorXd& x, Tape& tape, std::vector<Var>& vars,
                      std::vector<Var>& ys, Eigen::VectorXd& r) {
  tape.clear();
  for (Eigen::Index i = 0; i < x.size(); ++i) vars[static_cast<std::size_t>(i)] = x(i);
  ys.clear();
  for (const auto& y : tapegrad::detail::call_on(residuals, vars)) ys.emplace_back(y);
  r.resize(static_cast<Eigen::Index>(ys.size()));
  for (std::size_t i = 0; i < ys.size(); ++i) r(static_cast<Eigen::Index>(i)) = ys[i].value();
}

// r(x) and J(x) recorded on `tape` as record_residuals() does, J by reverse sweeps.
template <class R>
void residuals_and_jacobian(R& residuals, const Eigen::VectorXd& x, Tape& tape, std::vector<Var>& vars,
                            std::vector<Var>& ys, Eigen::VectorXd& r, Eigen::MatrixXd& jacobian) {
  record_residuals(residuals, x, tape, vars, ys, r);
  jacobian = tapegrad::jacobian(std::span<const Var>(ys), std::span<const Var>(vars));
}

// F by reference, for SparseJacobian (which keeps a copy of the F it is given): called as F
// is, with a span of Vars or, when F takes none, a std::vector of them.
template <class F>
auto by_reference(F& f) {
  return [&f](auto x) -> decltype(f(x)) { return f(x); };
}

// True when `e` is the pattern search's refusal of a Jacobian with more nonzeros than its
// max_nonzeros (autodiff/sparse/pattern.cpp), which a solver answers by storing J otherwise;
// every other error is the caller's to see.
inline bool too_many_nonzeros(const Error& e) {
  const std::string_view message = e.what();
  return message.find("sparsity pattern: the Jacobian has more than") != std::string_view::npos;
}

// JᵀJ and g = Jᵀr at the accepted points, and the damped step −(JᵀJ + diag(d))⁻¹g, with
// J dense or sparse: the storage chosen once, at the start.
template <class R>
class NormalEquations {
 public:
  // Evaluates r (into `r`), J, JᵀJ and Jᵀr at the start x. `shared`: a sparse J of r found
  // already (not owned; J is then sparse whatever `storage` says), or null.
  NormalEquations(R& residuals, JacobianStorage storage, SparseJacobian* shared, const Eigen::VectorXd& x,
                  Eigen::VectorXd& r)
      : residuals_(residuals), vars_(static_cast<std::size_t>(x.size())), jacobian_(shared) {
    const auto n = static_cast<std::size_t>(x.size());
    if (!jacobian_ && (storage == JacobianStorage::Sparse ||
                       (storage == JacobianStorage::Auto && n > least_squares_dense_up_to)))
      make_sparse(storage, x);
    if (jacobian_) {
      // The damping's entries: stored even where a column of J is empty, so that the
      // damped matrix has them and its pattern stays one for the whole run.
      zero_diagonal_.resize(x.size(), x.size());
      zero_diagonal_.setIdentity();
      zero_diagonal_ *= 0.0;
    }
    at(x, r);
  }

  // r, J, JᵀJ and Jᵀr at x.
  void at(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    ++evaluations;
    ++jacobian_evaluations;
    if (!jacobian_) {
      residuals_and_jacobian(residuals_, x, tape_, vars_, ys_, r, dense_jacobian_);
      dense_ = dense_jacobian_.transpose() * dense_jacobian_;
      g_ = dense_jacobian_.transpose() * r;
      return;
    }
    r.resize(static_cast<Eigen::Index>(jacobian_->rows()));
    // The buffer follows the pattern, which a branch that changed at x may have changed.
    jacobian_->values(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())), nonzeros_,
                      std::span<double>(r.data(), static_cast<std::size_t>(r.size())));
    const Eigen::SparseMatrix<double> j = jacobian_->matrix(nonzeros_);
    sparse_ = Eigen::SparseMatrix<double>(j.transpose() * j) + zero_diagonal_;
    sparse_.makeCompressed();
    g_ = j.transpose() * r;
    follow_pattern();
  }

  // r alone at x (a trial point).
  void residuals_at(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    ++evaluations;
    record_residuals(residuals_, x, tape_, vars_, ys_, r);
  }

  // Jᵀr at the last accepted point.
  const Eigen::VectorXd& gradient() const { return g_; }
  // diag(JᵀJ) at the last accepted point.
  Eigen::VectorXd diagonal() const {
    if (!jacobian_) return dense_.diagonal();
    Eigen::VectorXd d(static_cast<Eigen::Index>(diagonal_at_.size()));
    for (std::size_t k = 0; k < diagonal_at_.size(); ++k)
      d(static_cast<Eigen::Index>(k)) = sparse_.valuePtr()[diagonal_at_[k]];
    return d;
  }

  // −(JᵀJ + diag(d))⁻¹ g; empty when the sparse factorization finds the damped matrix not
  // positive definite (a damping that underflowed on a singular JᵀJ).
  Eigen::VectorXd step(const Eigen::VectorXd& d) {
    if (!jacobian_) {
      Eigen::MatrixXd damped = dense_;
      damped.diagonal() += d;
      return damped.ldlt().solve(-g_);
    }
    std::copy_n(sparse_.valuePtr(), sparse_.nonZeros(), damped_.valuePtr());
    for (std::size_t k = 0; k < diagonal_at_.size(); ++k)
      damped_.valuePtr()[diagonal_at_[k]] += d(static_cast<Eigen::Index>(k));
    if (!cholesky_.factor(damped_)) return {};
    return cholesky_.solve(-g_);
  }

  long evaluations = 0;           // of r: at the start, at each trial and each accepted point
  long jacobian_evaluations = 0;  // of J: at the start and at each accepted point

 private:
  // A sparse J of its own, unless Auto finds its pattern fuller than
  // least_squares_dense_above_density of its m·n entries (then J is dense). Finding the
  // pattern records r once at the start: setup, not counted among the evaluations.
  void make_sparse(JacobianStorage storage, const Eigen::VectorXd& x) {
    try {
      owned_.emplace(by_reference(residuals_),
                     std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
    } catch (const Error& e) {
      if (storage == JacobianStorage::Sparse || !too_many_nonzeros(e)) throw;
      return;
    }
    const double entries = static_cast<double>(owned_->rows()) * static_cast<double>(owned_->cols());
    if (storage == JacobianStorage::Auto &&
        static_cast<double>(owned_->pattern().nonzeros()) > least_squares_dense_above_density * entries) {
      owned_.reset();
      return;
    }
    jacobian_ = &*owned_;
  }

  // damped_ takes sparse_'s pattern, and the positions of its diagonal, when that pattern is
  // new: at the start, and where a changed branch changed J's pattern. Every retry of a step
  // then copies the values and adds the damping in place.
  void follow_pattern() {
    const auto outer = static_cast<std::size_t>(sparse_.outerSize()) + 1;
    const auto nonzeros = static_cast<std::size_t>(sparse_.nonZeros());
    if (damped_.rows() == sparse_.rows() && damped_.isCompressed() &&
        static_cast<std::size_t>(damped_.nonZeros()) == nonzeros &&
        std::equal(sparse_.outerIndexPtr(), sparse_.outerIndexPtr() + outer, damped_.outerIndexPtr()) &&
        std::equal(sparse_.innerIndexPtr(), sparse_.innerIndexPtr() + nonzeros, damped_.innerIndexPtr()))
      return;
    damped_ = sparse_;
    diagonal_at_.resize(static_cast<std::size_t>(sparse_.cols()));
    for (Eigen::Index k = 0; k < sparse_.cols(); ++k) {
      const auto* begin = sparse_.innerIndexPtr() + sparse_.outerIndexPtr()[k];
      const auto* end = sparse_.innerIndexPtr() + sparse_.outerIndexPtr()[k + 1];
      diagonal_at_[static_cast<std::size_t>(k)] =
          static_cast<std::size_t>(std::lower_bound(begin, end, k) - sparse_.innerIndexPtr());
    }
  }

  R& residuals_;
  Tape tape_;
  std::vector<Var> vars_, ys_;
  Eigen::VectorXd g_;
  // Dense storage.
  Eigen::MatrixXd dense_jacobian_, dense_;
  // Sparse storage: the shared J or the one owned.
  SparseJacobian* jacobian_ = nullptr;
  std::optional<SparseJacobian> owned_;
  std::vector<double> nonzeros_;
  Eigen::SparseMatrix<double> zero_diagonal_, sparse_, damped_;
  std::vector<std::size_t> diagonal_at_;  // where each diagonal entry is among sparse_'s values
  SparseCholesky cholesky_;
};

/// What least_squares_with() returns: least_squares()'s result and how often J was evaluated.
struct LeastSquaresRun {
  MinimizeResult result;          ///< as least_squares() returns it
  long jacobian_evaluations = 0;  ///< points where J was evaluated: the start and each accepted point
};

/// least_squares() with the sparse J `shared` (not owned; its pattern found already, as solve()'s
/// Levenberg–Marquardt hand-over has it) when it is not null: J is then sparse whatever options.jacobian
/// says.
template <class R, class... Callbacks>
LeastSquaresRun least_squares_with(R& residuals, std::span<const double> x0,
                                   const LevenbergMarquardtOptions& options, SparseJacobian* shared,
                                   const StopWhen& stop, Callbacks&&... callbacks) {
  const auto n = static_cast<Eigen::Index>(x0.size());
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n), r, r_trial;
  NormalEquations<std::remove_reference_t<R>> normal(residuals, options.jacobian, shared, x, r);
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
    ((stop_early = report_step(callbacks, report) || stop_early), ...);
    if (const auto why = stop_reason(stop, step, f, previous_f, norm, stop_early, moved)) {
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
      const double f_trial = 0.5 * r_trial.squaredNorm();
      const double predicted = 0.5 * h.dot(mu * scale.cwiseProduct(h) - g);
      const double rho = predicted > 0 ? (f - f_trial) / predicted : -1;
      if (std::isfinite(f_trial) && rho > 0 && x_trial != x) {
        x = x_trial;
        normal.at(x, r);
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
  LeastSquaresRun run{MinimizeResult{std::vector<double>(x.data(), x.data() + n), f, g.norm(), step, reason},
                      normal.jacobian_evaluations};
  run.result.evaluations = normal.evaluations;
  (report_end(callbacks, run.result), ...);
  return run;
}

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
  return detail::least_squares_with(residuals, x0, options, nullptr, stop, callbacks...).result;
}
/// least_squares() with the starting point as a std::vector.
template <class R, class... Callbacks>
MinimizeResult least_squares(R&& residuals, const std::vector<double>& x0,
                             const LevenbergMarquardtOptions& options = {}, const StopWhen& stop = {},
                             Callbacks&&... callbacks) {
  return least_squares(residuals, std::span<const double>(x0), options, stop, callbacks...);
}

}  // namespace tapegrad::optim
