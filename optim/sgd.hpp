/// \file
/// Stochastic gradient descent with PyTorch's torch.optim.SGD rule, to the letter:
///   g ← ∇f + λ·θ                          (weight_decay λ; −∇f + λ·θ when maximizing)
///   b ← g on the first step, else μ·b + (1 − τ)·g   (momentum μ, dampening τ)
///   g ← g + μ·b if nesterov, else b        (only when μ ≠ 0)
///   θ ← θ − γ·g
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Sgd (PyTorch's names and defaults).
struct SgdOptions {
  /// The learning rate γ.
  double lr = 1e-3;
  /// The momentum factor μ (0: none).
  double momentum = 0;
  /// The dampening τ of the momentum.
  double dampening = 0;
  /// The weight decay λ: an L2 penalty λ·θ added to the gradient.
  double weight_decay = 0;
  /// Nesterov momentum (needs momentum > 0 and dampening 0).
  bool nesterov = false;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("momentum", o.momentum), v("dampening", o.dampening), v("weight_decay", o.weight_decay),
        v("nesterov", o.nesterov), v("maximize", o.maximize);
  }
};

/// Stochastic gradient descent with momentum, torch.optim.SGD's update rule to the letter (on this file's
/// page).
/// Example: `optim::Sgd sgd({w, b}, {.lr = 0.1, .momentum = 0.9});` then, after each backward(), `sgd.step();
/// sgd.zero_grad();`.
class Sgd : public GroupedOptimizer<Sgd, SgdOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Sgd";
  static constexpr std::array<const char*, 1> buffer_names = {"momentum_buffer"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const SgdOptions& o) {
    require_nonnegative(name, o, {"lr", "momentum", "weight_decay"});
    if (o.nesterov) {
      require(o.momentum > 0, name, "momentum", o.momentum, "must be > 0 with nesterov");
      require(o.dampening == 0, name, "dampening", o.dampening, "must be 0 with nesterov");
    }
  }

  template <class T>
  void update(const SgdOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), mu = static_cast<T>(o.momentum),
            keep = static_cast<T>(1 - o.dampening);
    const bool first = !s.has(0);
    T* momentum = o.momentum != 0 ? s.buffer(0, n) : nullptr;
    detail::for_each_block(n, [&](Eigen::Index i, Eigen::Index length) {
      const detail::BlockArray<T> g =
          detail::effective_gradient(grad + i, x + i, length, o.maximize, o.weight_decay);
      detail::Column<T> xs(x + i, length);
      if (momentum == nullptr) {
        xs -= lr * g;
        return;
      }
      detail::Column<T> b(momentum + i, length);
      if (first)
        b = g;
      else
        b = mu * b + keep * g;
      if (o.nesterov)
        xs -= lr * (g + mu * b);
      else
        xs -= lr * b;
      ///@}
    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Sgd, SgdOptions>)

}  // namespace tapegrad::optim
