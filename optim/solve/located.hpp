/// \file
/// When a point counts as located (optim/solve.hpp states the rule): by the Newton correction
/// at it, or by the lengths of the steps that led to it. Every method of solve() asks the same
/// two questions here, so a root means the same whichever method found it.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <limits>

namespace tapegrad::optim::detail {

// A correction or the steps still to come at most this, relative to max(‖x‖, 1), locate x.
inline constexpr double located_within = 1e-8;

inline double location_bound(const Eigen::VectorXd& x) { return located_within * std::max(x.norm(), 1.0); }

// The lengths of the steps taken so far: the last one and the ratios of the last two pairs.
struct StepHistory {
  double last = std::numeric_limits<double>::quiet_NaN();
  double ratio = last, previous_ratio = last;

  void add(double step) {
    previous_ratio = ratio;
    ratio = step / last;
    last = step;
  }
  // Steady ratios (linear convergence), or falling ones (faster than linear); the larger of
  // the two bounds the steps still to come. False until three steps were taken (NaN).
  bool converging_within(double near) const {
    const double rate = std::max(ratio, previous_ratio);
    return rate < 1 && ratio <= 1.05 * previous_ratio && last * rate / (1 - rate) <= near;
  }
};

// x is located: J is regular there with a Newton correction at most the bound, or the steps
// converge to within it. `correction` is ‖p‖ for J p = −F at x (ignored when not regular).
inline bool located(bool regular, double correction, const Eigen::VectorXd& x, const StepHistory& steps) {
  const double near = location_bound(x);
  return (regular && correction <= near) || steps.converging_within(near);
}

}  // namespace tapegrad::optim::detail
