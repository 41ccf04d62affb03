/// \file
/// Adagrad with PyTorch's torch.optim.Adagrad rule, to the letter (step t from 1):
///   g ← ∇f + λ·θ                  (weight_decay λ; −∇f when maximizing)
///   γ_t ← γ / (1 + (t − 1)·η)     (lr_decay η)
///   s ← s + g²                    (s starts at initial_accumulator_value)
///   θ ← θ − γ_t·g / (√s + ε)
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Adagrad (PyTorch's names and defaults).
struct AdagradOptions {
  /// The learning rate γ.
  double lr = 1e-2;
  /// The learning-rate decay η: step t uses γ / (1 + (t − 1)·η).
  double lr_decay = 0;
  /// The weight decay λ: an L2 penalty added to the gradient.
  double weight_decay = 0;
  /// The starting value of the sum of squared gradients.
  double initial_accumulator_value = 0;
  /// The term ε added to the denominator.
  double eps = 1e-10;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("lr_decay", o.lr_decay), v("weight_decay", o.weight_decay),
        v("initial_accumulator_value", o.initial_accumulator_value), v("eps", o.eps),
        v("maximize", o.maximize);
  }
};

/// Adagrad, torch.optim.Adagrad's update rule (in adagrad.hpp).
class Adagrad : public GroupedOptimizer<Adagrad, AdagradOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Adagrad";
  static constexpr std::array<const char*, 1> buffer_names = {"sum"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdagradOptions& o) {
    require_nonnegative(name, o, {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"});
  }

  template <class T>
  void update(const AdagradOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    if (!s.has(0)) s.buffers[0].setConstant(n, static_cast<T>(o.initial_accumulator_value));
    T* sum = s.buffers[0].data();
    const T clr = static_cast<T>(o.lr / (1 + static_cast<double>(s.step - 1) * o.lr_decay));
    const T eps = static_cast<T>(o.eps);
    detail::for_each_block(n, [&](Eigen::Index i, Eigen::Index length) {
      const detail::BlockArray<T> g =
          detail::effective_gradient(grad + i, x + i, length, o.maximize, o.weight_decay);
      detail::Column<T> xs(x + i, length), sums(sum + i, length);
      sums += g * g;
      xs += (-clr * g) / (sums.sqrt() + eps);
      ///@}
    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adagrad, AdagradOptions>)

}  // namespace tapegrad::optim
