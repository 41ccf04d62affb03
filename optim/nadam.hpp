/// \file
/// NAdam with PyTorch's torch.optim.NAdam rule, to the letter (step t from 1):
///   g ← ∇f + λ·θ                             (weight_decay λ; −∇f when maximizing)
///   μ_t ← β1·(1 − ½·0.96^(t·ψ)),  μ_{t+1} likewise   (momentum_decay ψ)
///   Π ← Π·μ_t                                 (the product of every μ so far, from 1)
///   m ← lerp(m, g, 1 − β1),  v ← β2·v + (1 − β2)·g²
///   d ← √(v / (1 − β2ᵗ)) + ε
///   θ ← θ − γ(1 − μ_t)/(1 − Π) · g/d − γ·μ_{t+1}/(1 − Π·μ_{t+1}) · m/d
/// maximize is not in torch 1.13's NAdam; here it negates the gradient as elsewhere.
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of NAdam (PyTorch's names and defaults).
struct NAdamOptions {
  /// The learning rate γ.
  double lr = 2e-3;
  /// The decay rate β1 of the first moment estimate.
  double beta1 = 0.9;
  /// The decay rate β2 of the second moment estimate.
  double beta2 = 0.999;
  /// The term ε added to the denominator.
  double eps = 1e-8;
  /// The weight decay λ: an L2 penalty added to the gradient.
  double weight_decay = 0;
  /// The momentum decay ψ of the momentum schedule μ_t = β1·(1 − ½·0.96^(t·ψ)).
  double momentum_decay = 4e-3;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("beta1", o.beta1), v("beta2", o.beta2), v("eps", o.eps),
        v("weight_decay", o.weight_decay), v("momentum_decay", o.momentum_decay), v("maximize", o.maximize);
  }
};

/// NAdam (Adam with Nesterov momentum), torch.optim.NAdam's update rule (in nadam.hpp).
class NAdam : public GroupedOptimizer<NAdam, NAdamOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "NAdam";
  static constexpr std::array<const char*, 2> buffer_names = {"exp_avg", "exp_avg_sq"};
  static constexpr std::array<const char*, 1> scalar_names = {"mu_product"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const NAdamOptions& o) {
    detail::validate_adam(name, o);
    require_nonnegative(name, o, {"momentum_decay"});
  }

  template <class T>
  void update(const NAdamOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const double t = static_cast<double>(s.step);
    double& mu_product = s.scalars[0];
    if (s.step == 1) mu_product = 1;
    const double bias_correction2 = 1 - std::pow(o.beta2, t);
    const double mu = o.beta1 * (1 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    const double mu_next = o.beta1 * (1 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
    mu_product *= mu;
    const double mu_product_next = mu_product * mu_next;
    const T grad_step = static_cast<T>(-o.lr * (1 - mu) / (1 - mu_product));
    const T momentum_step = static_cast<T>(-o.lr * mu_next / (1 - mu_product_next));
    const T eps = static_cast<T>(o.eps), bc2 = static_cast<T>(bias_correction2);
    const detail::Moments<T> moments(o, s, n);
    detail::for_each_gradient_block(x, grad, n, o.maximize, o.weight_decay,
                                    [&](const auto& g, auto xs, auto i) {
                                      const auto [ms, vs] = moments.update(i, g);
                                      const detail::BlockArray<T> denom = (vs / bc2).sqrt() + eps;
                                      xs += grad_step * g / denom;
                                      xs += momentum_step * ms / denom;
                                      ///@}
                                    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<NAdam, NAdamOptions>)

}  // namespace tapegrad::optim
