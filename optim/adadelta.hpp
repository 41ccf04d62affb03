/// \file
/// Adadelta with PyTorch's torch.optim.Adadelta rule, to the letter:
///   g ← ∇f + λ·θ                          (weight_decay λ; −∇f when maximizing)
///   v ← ρ·v + (1 − ρ)·g²
///   Δ ← √(u + ε) / √(v + ε) · g
///   u ← ρ·u + (1 − ρ)·Δ²
///   θ ← θ − γ·Δ                           (γ = lr, 1.0 by default: Adadelta's own scale)
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Adadelta (PyTorch's names and defaults).
struct AdadeltaOptions {
  /// The coefficient γ that scales the delta.
  double lr = 1.0;
  /// The decay rate ρ of the running averages.
  double rho = 0.9;
  /// The term ε added inside the square roots.
  double eps = 1e-6;
  /// The weight decay λ: an L2 penalty added to the gradient.
  double weight_decay = 0;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("rho", o.rho), v("eps", o.eps), v("weight_decay", o.weight_decay),
        v("maximize", o.maximize);
  }
};

/// Adadelta, torch.optim.Adadelta's update rule (in adadelta.hpp).
class Adadelta : public GroupedOptimizer<Adadelta, AdadeltaOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Adadelta";
  static constexpr std::array<const char*, 2> buffer_names = {"square_avg", "acc_delta"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdadeltaOptions& o) {
    require_nonnegative(name, o, {"lr", "eps", "weight_decay"});
    require(o.rho >= 0 && o.rho <= 1, name, "rho", o.rho, "is outside [0, 1]");
  }

  template <class T>
  void update(const AdadeltaOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), rho = static_cast<T>(o.rho), one_minus_rho = static_cast<T>(1 - o.rho),
            eps = static_cast<T>(o.eps);
    T* square_avg = s.buffer(0, n);
    T* acc_delta = s.buffer(1, n);
    detail::for_each_gradient_block(
        x, grad, n, o.maximize, o.weight_decay, [&](const auto& g, auto xs, auto i) {
          detail::Column<T> vs(square_avg + i, g.size()), us(acc_delta + i, g.size());
          vs = vs * rho + one_minus_rho * g * g;
          const detail::BlockArray<T> delta = (us + eps).sqrt() / (vs + eps).sqrt() * g;
          us = us * rho + one_minus_rho * delta * delta;
          xs -= lr * delta;
          ///@}
        });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adadelta, AdadeltaOptions>)

}  // namespace tapegrad::optim
