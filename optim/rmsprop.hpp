/// \file
/// RMSprop with PyTorch's torch.optim.RMSprop rule, to the letter:
///   g ← ∇f + λ·θ                       (weight_decay λ; −∇f when maximizing)
///   v ← α·v + (1 − α)·g²
///   centered: ḡ ← lerp(ḡ, g, 1 − α), d ← √(v − ḡ²) + ε;   else d ← √v + ε
///   momentum μ > 0: b ← μ·b + g/d, θ ← θ − γ·b;           else θ ← θ − γ·g/d
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of RmsProp (PyTorch's names and defaults).
struct RmsPropOptions {
  /// The learning rate γ.
  double lr = 1e-2;
  /// The smoothing constant α of the average of squared gradients.
  double alpha = 0.99;
  /// The term ε added to the denominator.
  double eps = 1e-8;
  /// The weight decay λ: an L2 penalty added to the gradient.
  double weight_decay = 0;
  /// The momentum factor μ (0: none).
  double momentum = 0;
  /// Divide by the centered second moment (an estimate of the gradient's variance).
  bool centered = false;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("alpha", o.alpha), v("eps", o.eps), v("weight_decay", o.weight_decay),
        v("momentum", o.momentum), v("centered", o.centered), v("maximize", o.maximize);
  }
};

/// RMSprop, torch.optim.RMSprop's update rule (in rmsprop.hpp).
class RmsProp : public GroupedOptimizer<RmsProp, RmsPropOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "RmsProp";
  static constexpr std::array<const char*, 3> buffer_names = {"square_avg", "grad_avg", "momentum_buffer"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const RmsPropOptions& o) {
    require_nonnegative(name, o, {"lr", "eps", "momentum", "weight_decay", "alpha"});
  }

  template <class T>
  void update(const RmsPropOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha),
            one_minus_alpha = static_cast<T>(1 - o.alpha);
    const T eps = static_cast<T>(o.eps), mu = static_cast<T>(o.momentum);
    T* square_avg = s.buffer(0, n);
    T* grad_avg = o.centered ? s.buffer(1, n) : nullptr;
    T* momentum = o.momentum > 0 ? s.buffer(2, n) : nullptr;
    detail::for_each_block(n, [&](Eigen::Index i, Eigen::Index length) {
      const detail::BlockArray<T> g =
          detail::effective_gradient(grad + i, x + i, length, o.maximize, o.weight_decay);
      detail::Column<T> xs(x + i, length), v(square_avg + i, length);
      v = v * alpha + one_minus_alpha * g * g;
      detail::BlockArray<T> d;
      if (grad_avg != nullptr) {
        detail::Column<T> mean(grad_avg + i, length);
        detail::lerp_in_place(mean, g, one_minus_alpha);
        d = (v + T(-1) * mean * mean).sqrt() + eps;
      } else {
        d = v.sqrt() + eps;
      }
      if (momentum != nullptr) {
        detail::Column<T> b(momentum + i, length);
        b = b * mu + g / d;
        xs += -lr * b;
      } else {
        xs += (-lr * g) / d;
      }
      ///@}
    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<RmsProp, RmsPropOptions>)

}  // namespace tapegrad::optim
