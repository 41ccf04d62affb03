/// \file
/// Adamax with PyTorch's torch.optim.Adamax rule, to the letter (step t from 1):
///   g ← ∇f + λ·θ                       (weight_decay λ; −∇f when maximizing)
///   m ← lerp(m, g, 1 − β1)
///   u ← max(β2·u, |g| + ε)              (the infinity norm; ε inside the max, as PyTorch)
///   θ ← θ − (γ / (1 − β1ᵗ)) · m / u
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// Adamax's defaults: lr 2e-3, no weight decay, no amsgrad.
struct AdamaxDefaults {
  /// The default lr and weight_decay, and whether amsgrad is an option.
  ///@{
  static constexpr double lr = 2e-3, weight_decay = 0;
  static constexpr bool has_amsgrad = false;
  ///@}
};
/// The options of Adamax.
using AdamaxOptions = AdamFamilyOptions<AdamaxDefaults>;

/// Adamax (Adam with the infinity norm), torch.optim.Adamax's update rule (in adamax.hpp).
class Adamax : public GroupedOptimizer<Adamax, AdamaxOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Adamax";
  static constexpr std::array<const char*, 2> buffer_names = {"exp_avg", "exp_inf"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdamaxOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const AdamaxOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T clr = static_cast<T>(o.lr / (1 - std::pow(o.beta1, static_cast<double>(s.step))));
    const T one_minus_beta1 = static_cast<T>(1 - o.beta1), beta2 = static_cast<T>(o.beta2),
            eps = static_cast<T>(o.eps);
    T* m = s.buffer(0, n);
    T* u = s.buffer(1, n);
    detail::for_each_gradient_block(x, grad, n, o.maximize, o.weight_decay,
                                    [&](const auto& g, auto xs, auto i) {
                                      detail::Column<T> ms(m + i, g.size()), us(u + i, g.size());
                                      detail::lerp_in_place(ms, g, one_minus_beta1);
                                      us = (us * beta2).max(g.abs() + eps);
                                      xs += (-clr) * ms / us;
                                      ///@}
                                    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adamax, AdamaxOptions>)

}  // namespace tapegrad::optim
