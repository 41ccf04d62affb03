/// \file
/// Averaged SGD with PyTorch's torch.optim.ASGD rule, to the letter (step t from 1):
///   g ← ∇f + λ·θ                      (weight_decay λ; −∇f when maximizing)
///   θ ← θ·(1 − λ_d·η),  θ ← θ − η·g   (lambd λ_d; η starts at lr)
///   ā ← θ if μ = 1, else ā + μ·(θ − ā)   (the average the method is named for: "ax")
///   η ← lr / (1 + λ_d·lr·t)^α,  μ ← 1 / max(1, t − t0)
/// The parameters themselves follow the SGD path; the average is in state_dict()
/// ("ax"), as in PyTorch.
#pragma once

#include <algorithm>
#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Asgd (PyTorch's names and defaults).
struct AsgdOptions {
  /// The learning rate γ.
  double lr = 1e-2;
  /// The decay term λ.
  double lambd = 1e-4;
  /// The power α of the learning-rate decay.
  double alpha = 0.75;
  /// The step at which averaging starts.
  double t0 = 1e6;
  /// The weight decay λ: an L2 penalty added to the gradient.
  double weight_decay = 0;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("lambd", o.lambd), v("alpha", o.alpha), v("t0", o.t0), v("weight_decay", o.weight_decay),
        v("maximize", o.maximize);
  }
};

/// Averaged stochastic gradient descent, torch.optim.ASGD's update rule (in asgd.hpp); `ax`, the
/// average, is a buffer in state_dict().
class Asgd : public GroupedOptimizer<Asgd, AsgdOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Asgd";
  static constexpr std::array<const char*, 1> buffer_names = {"ax"};
  static constexpr std::array<const char*, 2> scalar_names = {"eta", "mu"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AsgdOptions& o) { require_nonnegative(name, o, {"lr", "weight_decay"}); }

  template <class T>
  void update(const AsgdOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    double& eta = s.scalars[0];
    double& mu = s.scalars[1];
    if (s.step == 1) eta = o.lr, mu = 1;
    const T decay = static_cast<T>(1 - o.lambd * eta), step = static_cast<T>(eta),
            average = static_cast<T>(mu);
    T* ax = s.buffer(0, n);
    detail::for_each_gradient_block(x, grad, n, o.maximize, o.weight_decay,
                                    [&](const auto& g, auto xs, auto i) {
                                      detail::Column<T> as(ax + i, g.size());
                                      xs *= decay;
                                      xs -= step * g;
                                      if (mu != 1)
                                        as += (xs - as) * average;
                                      else
                                        as = xs;
                                    });
    const double t = static_cast<double>(s.step);
    eta = o.lr / std::pow(1 + o.lambd * o.lr * t, o.alpha);
    ///@}
    mu = 1 / std::max(1.0, t - o.t0);
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Asgd, AsgdOptions>)

}  // namespace tapegrad::optim
