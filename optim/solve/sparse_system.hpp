/// \file
/// The system F(x) = 0 with its Jacobian stored sparse: the pattern and its coloring found once
/// per solve (SparseJacobian), J's values at each point by compressed forward sweeps, factored
/// by SparseLu with its symbolic analysis kept while the pattern holds; F's values from the
/// recordings every method shares (recorded_equations.hpp). The same questions
/// dense_system.hpp answers, for systems whose dense J would not fit or not pay.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../../autodiff/sparse/sparse_jacobian.hpp"
#include "../jacobian_storage.hpp"
#include "../linear/sparse_lu.hpp"
#include "recorded_equations.hpp"

namespace tapegrad::optim::detail {

template <class F>
class SparseSystem {
 public:
  static constexpr JacobianStorage storage = JacobianStorage::Sparse;

  // `jacobian`: F's SparseJacobian, its pattern found at the start (solve() looks at its
  // size before it chooses this storage), which recorded F once.
  SparseSystem(RecordedEquations<F>& equations, SparseJacobian jacobian)
      : equations_(equations), jacobian_(std::move(jacobian)) {}

  // F at x, recorded (a replay of SparseJacobian's recording would compute J's colors too).
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) { equations_.record(x, r); }
  // J at x from the pattern found once (found again only where a branch of F changed), factored.
  // SparseJacobian replays F to reach x: an evaluation too.
  void jacobian_at(const Eigen::VectorXd& x) {
    jacobian_.values(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())), nonzeros_);
    ++replays_;
    j_ = jacobian_.matrix(nonzeros_);
    regular_ = lu_.factor(j_);  // false for an entry that is not finite too
    ++jacobian_evaluations_;
  }

  bool regular() const { return regular_; }
  // p with J p = −r (J regular).
  Eigen::VectorXd newton_step(const Eigen::VectorXd& r) const { return lu_.solve(-r); }
  // The Gauss–Newton step of the dogleg: none where the LU found J singular (the dogleg then
  // steps along the gradient alone).
  std::optional<Eigen::VectorXd> gauss_newton_step(const Eigen::VectorXd& r) const {
    if (!regular_) return std::nullopt;
    return newton_step(r);
  }
  Eigen::VectorXd times(const Eigen::VectorXd& v) const { return j_ * v; }
  Eigen::VectorXd transpose_times(const Eigen::VectorXd& v) const { return j_.transpose() * v; }
  Eigen::VectorXd column_norms() const {
    Eigen::VectorXd norms(j_.cols());
    for (Eigen::Index k = 0; k < j_.cols(); ++k) norms(k) = j_.col(k).norm();
    return norms;
  }
  std::string linear_solver() const { return std::string("sparse LU (") + lu_.library() + ")"; }
  // The pattern and coloring, for Levenberg–Marquardt's hand-over (which then finds none of its own).
  SparseJacobian& jacobian() { return jacobian_; }

  long evaluations() const { return equations_.evaluations() + replays_; }
  long jacobian_evaluations() const { return jacobian_evaluations_; }

 private:
  RecordedEquations<F>& equations_;
  SparseJacobian jacobian_;
  std::vector<double> nonzeros_;
  Eigen::SparseMatrix<double> j_;
  SparseLu lu_;
  bool regular_ = false;
  long replays_ = 1;  // SparseJacobian's recordings and replays: it recorded F at the start
  long jacobian_evaluations_ = 0;
};

}  // namespace tapegrad::optim::detail
