/// \file
/// F recorded on a tape of solve()'s own, once per point: the one recording that every
/// method's system reads (the dense J swept from it, J·v swept forward over it, F's values),
/// so that the start's recording, made before solve() chooses a method, serves the method too.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "../../autodiff/scalar/tape.hpp"
#include "../../autodiff/scalar/var.hpp"
#include "../../autodiff/support/error.hpp"
#include "../least_squares.hpp"

namespace tapegrad::optim::detail {

/// Makes a released tape the active one for a scope: solve()'s tape records F, and is swept,
/// even while another (Levenberg–Marquardt's, a caller's) is active around the solve.
class ActiveFor {
 public:
  /// Activates `tape` until the end of the scope.
  explicit ActiveFor(Tape& tape) : tape_(tape) { tape_.activate(); }
  /// Releases the tape again.
  ~ActiveFor() { tape_.release(); }
  ActiveFor(const ActiveFor&) = delete;
  ActiveFor& operator=(const ActiveFor&) = delete;

 private:
  Tape& tape_;
};

/// The n equations F of a solve recorded at one point at a time: the inputs, the outputs and how many
/// recordings were made (each an evaluation of F). Shared by reference by the system a method runs on.
template <class F>
class RecordedEquations {
 public:
  /// F, taking n unknowns; nothing recorded yet.
  RecordedEquations(F& equations, Eigen::Index n)
      : equations_(equations), vars_(static_cast<std::size_t>(n)) {
    tape_.release();
  }
  RecordedEquations(const RecordedEquations&) = delete;
  RecordedEquations& operator=(const RecordedEquations&) = delete;

  /// F recorded at x (the tape cleared first), its values in `r`. Throws tapegrad::Error when F returns other
  /// than n equations, or an equation that is a Var of another tape.
  void record(const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    recorded_at_.resize(0);
    {
      const ActiveFor active(tape_);
      record_residuals(equations_, x, tape_, vars_, ys_, r);
    }
    ++evaluations_;
    if (ys_.size() != vars_.size())
      throw Error("solve: " + std::to_string(ys_.size()) + " equations in " + std::to_string(vars_.size()) +
                  " unknowns; solve needs as many equations as unknowns (least_squares() takes any number)");
    for (std::size_t i = 0; i < ys_.size(); ++i)
      if (ys_[i].is_recorded() && !tape_.is_valid_index(ys_[i].index(), ys_[i].generation()))
        throw Error("solve: equation ", i, " is not on the tape F was recorded on (a Var of another tape)");
    recorded_at_ = x;
  }
  /// The recording at x: F recorded there unless the last recording already is.
  void at(const Eigen::VectorXd& x) {
    if (recorded_at_.size() == x.size() && recorded_at_ == x) return;
    Eigen::VectorXd r;
    record(x, r);
  }

  /// The tape the recordings are on (released: activate it with ActiveFor to sweep it).
  Tape& tape() { return tape_; }
  /// The tape, read-only.
  const Tape& tape() const { return tape_; }
  /// The unknowns' Vars of the last recording.
  std::span<const Var> vars() const { return vars_; }
  /// The equations' Vars of the last recording.
  std::span<const Var> ys() const { return ys_; }
  /// Recordings made so far: the evaluations of F, and what tells one recording from the next.
  long evaluations() const { return evaluations_; }
  /// False when the last recording has an operation with a backward function of its own (a tensor operation,
  /// a custom_op with a backward function): only the tape's reverse sweep runs those, so no J·v sweeps it.
  bool sweepable() const {
    const std::uint32_t last = tape_.view().statements - 1;
    return !tape_.has_hooks_between(0, last);
  }

 private:
  F& equations_;
  Tape tape_;
  std::vector<Var> vars_, ys_;
  Eigen::VectorXd recorded_at_;  // empty while no recording is whole
  long evaluations_ = 0;
};

}  // namespace tapegrad::optim::detail
