/// \file
/// RAdam with PyTorch's torch.optim.RAdam rule, to the letter (step t from 1):
///   g ← ∇f + λ·θ                      (weight_decay λ; −∇f when maximizing)
///   m ← lerp(m, g, 1 − β1),  v ← β2·v + (1 − β2)·g²
///   ρ∞ = 2/(1 − β2) − 1,  ρ_t = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ)
///   m̂ = m / (1 − β1ᵗ)
///   ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
///             θ ← θ − m̂·γ·(√(1 − β2ᵗ) / (√v + ε))·r
///   else:     θ ← θ − m̂·γ              (the variance is not yet tractable: plain momentum)
/// maximize is not in torch 1.13's RAdam; here it negates the gradient as elsewhere.
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// RAdam's defaults: lr 1e-3, no weight decay, no amsgrad.
struct RAdamDefaults {
  /// The default lr and weight_decay, and whether amsgrad is an option.
  ///@{
  static constexpr double lr = 1e-3, weight_decay = 0;
  static constexpr bool has_amsgrad = false;
  ///@}
};
/// The options of RAdam.
using RAdamOptions = AdamFamilyOptions<RAdamDefaults>;

/// RAdam (rectified Adam), torch.optim.RAdam's update rule (in radam.hpp).
class RAdam : public GroupedOptimizer<RAdam, RAdamOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "RAdam";
  static constexpr std::array<const char*, 2> buffer_names = {"exp_avg", "exp_avg_sq"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const RAdamOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const RAdamOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const double t = static_cast<double>(s.step);
    const double bias_correction1 = 1 - std::pow(o.beta1, t);
    const double bias_correction2 = 1 - std::pow(o.beta2, t);
    const double rho_inf = 2 / (1 - o.beta2) - 1;
    const double rho_t = rho_inf - 2 * t * std::pow(o.beta2, t) / bias_correction2;
    const bool rectified = rho_t > 5;
    const T rect = rectified ? static_cast<T>(std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                                        ((rho_inf - 4) * (rho_inf - 2) * rho_t)))
                             : T(0);
    const T lr = static_cast<T>(o.lr), bc1 = static_cast<T>(bias_correction1),
            bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    const T eps = static_cast<T>(o.eps);
    const detail::Moments<T> moments(o, s, n);
    detail::for_each_gradient_block(x, grad, n, o.maximize, o.weight_decay,
                                    [&](const auto& g, auto xs, auto i) {
                                      const auto [ms, vs] = moments.update(i, g);
                                      if (rectified)
                                        xs -= ms / bc1 * lr * (bc2_sqrt / (vs.sqrt() + eps)) * rect;
                                      else
                                        xs -= ms / bc1 * lr;
                                      ///@}
                                    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<RAdam, RAdamOptions>)

}  // namespace tapegrad::optim
