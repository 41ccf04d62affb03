/// \file
/// The system F(x) = 0 without a Jacobian matrix, for Newton–Krylov: F recorded once at each
/// point (recorded_equations.hpp), and J·v for any v by one forward sweep over that recording's
/// partials (the tangent of every statement is the sum of its operands' tangents times the
/// recorded partials). Exact products, no Dual numbers, no finite differences, no matrix:
/// memory and time per product are those of the recording.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "../../autodiff/scalar/sweep.hpp"
#include "../../autodiff/support/error.hpp"
#include "recorded_equations.hpp"

namespace tapegrad::optim::detail {

template <class F>
class RecordedSystem {
 public:
  explicit RecordedSystem(RecordedEquations<F>& equations) : equations_(equations) {}

  // F at x, recorded: the recording J·v sweeps from now on.
  void values(const Eigen::VectorXd& x, Eigen::VectorXd& r) { equations_.record(x, r); }
  // Throws unless F's recording can be swept forward (RecordedEquations::sweepable()).
  void check_sweepable() const {
    if (!equations_.sweepable())
      throw Error(
          "solve: method newton-krylov sweeps F's recording forward for J·v, and F records an operation "
          "with a backward function of its own (a tensor operation or a custom_op with a backward "
          "function), which only a reverse sweep runs; use method newton or dogleg");
  }

  // J·v at the point last recorded. The first product on a recording sets up its sweep: the
  // point's J is evaluated, in the only sense there is without a matrix.
  void times(const Eigen::VectorXd& v, Eigen::VectorXd& out) {
    if (swept_ != equations_.evaluations()) prepare();
    const RecordingArrays<const double> view = equations_.tape().view();
    const std::span<const Var> vars = equations_.vars(), ys = equations_.ys();
    for (std::size_t i = 0; i < vars.size(); ++i)
      tangents_[vars[i].index()] = v(static_cast<Eigen::Index>(i));
    tapegrad::detail::sweep_rows_forward(view.statement_end, view.operand_index, view.operand_partial,
                                         tangents_.data(), 1, 0, last_, partials_finite_);
    out.resize(static_cast<Eigen::Index>(ys.size()));
    for (std::size_t i = 0; i < ys.size(); ++i)
      out(static_cast<Eigen::Index>(i)) = ys[i].is_recorded() ? tangents_[ys[i].index()] : 0.0;
  }

  long evaluations() const { return equations_.evaluations(); }
  // Recordings swept for J·v: one per Newton iterate.
  long jacobian_evaluations() const { return jacobian_evaluations_; }

 private:
  // What a recording's sweeps share: its last statement, whether its partials are all finite
  // (the sweep then needs no guard against 0·∞), and tangents that start at 0, so that a leaf
  // recorded inside F (a constant Var), which no sweep writes, stays 0.
  void prepare() {
    check_sweepable();
    const RecordingArrays<const double> view = equations_.tape().view();
    last_ = view.statements - 1;
    partials_finite_ =
        tapegrad::detail::partials_finite_between(view.statement_end, view.operand_partial, 0, last_);
    tangents_.assign(view.statements, 0.0);
    swept_ = equations_.evaluations();
    ++jacobian_evaluations_;
  }

  RecordedEquations<F>& equations_;
  std::vector<double> tangents_;  // one per statement
  std::uint32_t last_ = 0;
  bool partials_finite_ = false;
  long swept_ = -1;  // the recording (RecordedEquations::evaluations()) the tangents are set up for
  long jacobian_evaluations_ = 0;
};

}  // namespace tapegrad::optim::detail
