/// \file
/// The system F(x) = 0 without a Jacobian matrix, for Newton–Krylov: F recorded once at each
/// point, and J·v for any v by one forward sweep over that recording's partials (the tangent of
/// every statement is the sum of its operands' tangents times the recorded partials). Exact
/// products, no Dual numbers, no finite differences, no matrix: memory and time per product
/// are those of the recording.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "../../autodiff/scalar/sweep.hpp"
#include "dense_system.hpp"

namespace tapegrad::optim::detail {

template <class F>
class RecordedSystem {
 public:
  RecordedSystem(F& equations, Eigen::Index n) : equations_(equations), vars_(static_cast<std::size_t>(n)) {
    tape_.release();
  }

  // F at x, recorded: the recording J·v sweeps from now on.
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    {
      const ActiveFor active(tape_);
      record_equations(equations_, x, tape_, vars_, ys_, r);
    }
    ++evaluations;
    const RecordingArrays<const double> view = tape_.view();
    last_ = view.statements - 1;
    sweepable_ = !tape_.has_hooks_between(0, last_);
    tangents_.assign(view.statements, 0.0);
  }
  // False when F records an operation with a backward function of its own (a tensor operation, a
  // custom_op with a backward function): only the tape's reverse sweep runs those, so there is no J·v.
  bool sweepable() const { return sweepable_; }
  void check_sweepable() const {
    if (!sweepable_)
      throw Error(
          "solve: method newton-krylov sweeps F's recording forward for J·v, and F records an operation "
          "with a backward function of its own (a tensor operation or a custom_op with a backward "
          "function), which only a reverse sweep runs; use method newton or dogleg");
  }

  // J·v at the point last recorded.
  void times(const Eigen::VectorXd& v, Eigen::VectorXd& out) {
    check_sweepable();
    const RecordingArrays<const double> view = tape_.view();
    for (std::size_t i = 0; i < vars_.size(); ++i)
      tangents_[vars_[i].index()] = v(static_cast<Eigen::Index>(i));
    tapegrad::detail::sweep_rows_forward(view.statement_end, view.operand_index, view.operand_partial,
                                         tangents_.data(), 1, 0, last_);
    out.resize(static_cast<Eigen::Index>(ys_.size()));
    for (std::size_t i = 0; i < ys_.size(); ++i)
      out(static_cast<Eigen::Index>(i)) = ys_[i].is_recorded() ? tangents_[ys_[i].index()] : 0.0;
    ++products;
  }

  long evaluations = 0, products = 0;

 private:
  F& equations_;
  Tape tape_;
  std::vector<Var> vars_, ys_;
  std::vector<double> tangents_;  // one per statement; leaves recorded inside F stay 0
  std::uint32_t last_ = 0;
  bool sweepable_ = false;
};

}  // namespace tapegrad::optim::detail
