/// \file
/// The system F(x) = 0 with its Jacobian stored sparse: the pattern and its coloring found once
/// per solve (SparseJacobian), J's values at each point by compressed forward sweeps, factored
/// by SparseLu with its symbolic analysis kept while the pattern holds. The same questions
/// dense_system.hpp answers, for systems whose dense J would not fit or not pay.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../autodiff/sparse/sparse_jacobian.hpp"
#include "../linear/sparse_lu.hpp"
#include "dense_system.hpp"

namespace tapegrad::optim::detail {

// F as SparseJacobian records it: on a span of Vars, returning a std::vector of Vars.
template <class F>
SparseJacobian::Function equations_on_vars(F& equations) {
  return [&equations](std::span<const Var> x) {
    std::vector<Var> ys;
    if constexpr (std::is_invocable_v<F&, std::span<const Var>>) {
      for (const auto& y : equations(x)) ys.emplace_back(y);
    } else {
      const std::vector<Var> xs(x.begin(), x.end());
      for (const auto& y : equations(xs)) ys.emplace_back(y);
    }
    return ys;
  };
}

template <class F>
class SparseSystem {
 public:
  // `jacobian`: F's SparseJacobian, its pattern found at the start (solve() looks at its
  // size before it chooses this storage).
  SparseSystem(F& equations, Eigen::Index n, SparseJacobian jacobian)
      : equations_(equations), vars_(static_cast<std::size_t>(n)), jacobian_(std::move(jacobian)) {
    tape_.release();
  }

  // F at x, recorded on a tape of the system's own (a replay of SparseJacobian's recording
  // would compute J's colors too).
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    const ActiveFor active(tape_);
    record_equations(equations_, x, tape_, vars_, ys_, r);
    ++evaluations;
  }
  // J at x from the pattern found once (found again only where a branch of F changed), factored.
  // SparseJacobian replays F to reach x: an evaluation too.
  void jacobian_at(const Eigen::VectorXd& x) {
    j_ = jacobian_.at(std::span<const double>(x.data(), static_cast<std::size_t>(x.size())));
    ++evaluations;
    bool finite = true;
    for (Eigen::Index k = 0; k < j_.nonZeros() && finite; ++k) finite = std::isfinite(j_.valuePtr()[k]);
    regular_ = finite && lu_.factor(j_);
    ++jacobian_evaluations;
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
  const SparseJacobian& jacobian() const { return jacobian_; }

  long evaluations = 1, jacobian_evaluations = 0;  // SparseJacobian recorded F at the start

 private:
  F& equations_;
  Tape tape_;
  std::vector<Var> vars_, ys_;
  SparseJacobian jacobian_;
  Eigen::SparseMatrix<double> j_;
  SparseLu lu_;
  bool regular_ = false;
};

}  // namespace tapegrad::optim::detail
