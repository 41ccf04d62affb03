/// \file
/// The system F(x) = 0 with its Jacobian stored dense: J by reverse sweeps over F's recording
/// at the point (recorded_equations.hpp, the recording F's values came from), factored by
/// column-pivoting QR (which also says when J is singular). The linear algebra that Newton's
/// and the dogleg's steps ask of a system; sparse_system.hpp answers the same with a sparse J.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <optional>
#include <span>
#include <string>

#include "../../autodiff/scalar/gradient.hpp"
#include "../jacobian_storage.hpp"
#include "recorded_equations.hpp"

namespace tapegrad::optim::detail {

template <class F>
class DenseSystem {
 public:
  static constexpr JacobianStorage storage = JacobianStorage::Dense;

  explicit DenseSystem(RecordedEquations<F>& equations) : equations_(equations) {}

  // F at x, recorded; jacobian_at(x) sweeps this recording rather than record F again.
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) { equations_.record(x, r); }
  // J at x, factored.
  void jacobian_at(const Eigen::VectorXd& x) {
    equations_.at(x);
    {
      const ActiveFor active(equations_.tape());
      j_ = tapegrad::jacobian(equations_.ys(), equations_.vars());
    }
    qr_.compute(j_);
    regular_ = j_.allFinite() && qr_.rank() == j_.cols();
    ++jacobian_evaluations_;
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

  long evaluations() const { return equations_.evaluations(); }
  long jacobian_evaluations() const { return jacobian_evaluations_; }

 private:
  RecordedEquations<F>& equations_;
  Eigen::MatrixXd j_;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr_;
  bool regular_ = false;
  long jacobian_evaluations_ = 0;
};

}  // namespace tapegrad::optim::detail
