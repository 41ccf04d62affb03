/// \file
/// The system F(x) = 0 with its Jacobian stored dense: F recorded on a tape of its own, J by
/// reverse sweeps over the same recording, factored by column-pivoting QR (which also says
/// when J is singular). The linear algebra that Newton's and the dogleg's steps ask of a system;
/// sparse_system.hpp answers the same with a sparse J.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <optional>
#include <string>
#include <vector>

#include "../../autodiff/scalar/forward_mode.hpp"
#include "../../autodiff/scalar/gradient.hpp"
#include "../../autodiff/scalar/tape.hpp"
#include "../../autodiff/scalar/var.hpp"
#include "../../autodiff/support/error.hpp"

namespace tapegrad::optim::detail {

// Makes a released tape the active one for a scope: the system's own tape records F even
// while another (Levenberg–Marquardt's, a caller's) is active around the solve.
class ActiveFor {
 public:
  explicit ActiveFor(Tape& tape) : tape_(tape) { tape_.activate(); }
  ~ActiveFor() { tape_.release(); }
  ActiveFor(const ActiveFor&) = delete;
  ActiveFor& operator=(const ActiveFor&) = delete;

 private:
  Tape& tape_;
};

// F at x recorded on `tape` (cleared first, active for the call): the inputs in `vars`, the
// outputs in `ys`, their values in `r`. Throws when F returns other than `n` equations.
template <class F>
void record_equations(F& equations, const Eigen::VectorXd& x, Tape& tape, std::vector<Var>& vars,
                      std::vector<Var>& ys, Eigen::VectorXd& r) {
  tape.clear();
  for (Eigen::Index i = 0; i < x.size(); ++i) vars[static_cast<std::size_t>(i)] = x(i);
  ys.clear();
  for (const auto& y : tapegrad::detail::call_on(equations, vars)) ys.emplace_back(y);
  if (ys.size() != vars.size())
    throw Error("solve: " + std::to_string(ys.size()) + " equations in " + std::to_string(vars.size()) +
                " unknowns; solve needs as many equations as unknowns (least_squares() takes any number)");
  r.resize(x.size());
  for (std::size_t i = 0; i < ys.size(); ++i) r(static_cast<Eigen::Index>(i)) = ys[i].value();
}

template <class F>
class DenseSystem {
 public:
  DenseSystem(F& equations, Eigen::Index n) : equations_(equations), vars_(static_cast<std::size_t>(n)) {
    tape_.release();
  }

  // F at x, recorded; jacobian_at(x) sweeps this recording rather than record F again.
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    const ActiveFor active(tape_);
    record_equations(equations_, x, tape_, vars_, ys_, r);
    recorded_at_ = x;
    ++evaluations;
  }
  // J at x, factored.
  void jacobian_at(const Eigen::VectorXd& x) {
    const ActiveFor active(tape_);
    if (recorded_at_.size() != x.size() || recorded_at_ != x) {
      Eigen::VectorXd r;
      record_equations(equations_, x, tape_, vars_, ys_, r);
      recorded_at_ = x;
      ++evaluations;
    }
    j_ = tapegrad::jacobian(std::span<const Var>(ys_), std::span<const Var>(vars_));
    qr_.compute(j_);
    regular_ = j_.allFinite() && qr_.rank() == j_.cols();
    ++jacobian_evaluations;
  }

  bool regular() const { return regular_; }
  // p with J p = −r; for a singular J, a least-squares solution (column-pivoting QR's basic one).
  Eigen::VectorXd newton_step(const Eigen::VectorXd& r) const { return qr_.solve(-r); }
  // The Gauss–Newton step of the dogleg: the same, defined for a singular J too.
  std::optional<Eigen::VectorXd> gauss_newton_step(const Eigen::VectorXd& r) const {
    if (!j_.allFinite()) return std::nullopt;
    return newton_step(r);
  }
  Eigen::VectorXd times(const Eigen::VectorXd& v) const { return j_ * v; }
  Eigen::VectorXd transpose_times(const Eigen::VectorXd& v) const { return j_.transpose() * v; }
  Eigen::VectorXd column_norms() const { return j_.colwise().norm().transpose(); }
  std::string linear_solver() const { return "dense QR"; }

  long evaluations = 0, jacobian_evaluations = 0;

 private:
  F& equations_;
  Tape tape_;
  std::vector<Var> vars_, ys_;
  Eigen::VectorXd recorded_at_;
  Eigen::MatrixXd j_;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr_;
  bool regular_ = false;
};

}  // namespace tapegrad::optim::detail
