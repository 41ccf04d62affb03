/// \file
/// AdamW with PyTorch's torch.optim.AdamW rule: the weight decay is decoupled from the
/// gradient, θ ← θ·(1 − γλ) first, then Adam's update without λ in g. Its default λ is
/// 0.01 (Adam's is 0).
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"

namespace tapegrad::optim {

/// AdamW's defaults: lr 1e-3, weight decay 1e-2 (decoupled), amsgrad allowed.
struct AdamWDefaults {
  /// The default lr and weight_decay, and whether amsgrad is an option.
  ///@{
  static constexpr double lr = 1e-3, weight_decay = 1e-2;
  static constexpr bool has_amsgrad = true;
  ///@}
};
/// The options of AdamW.
using AdamWOptions = AdamFamilyOptions<AdamWDefaults>;

/// AdamW: Adam with decoupled weight decay, torch.optim.AdamW's update rule (in adamw.hpp).
class AdamW : public GroupedOptimizer<AdamW, AdamWOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "AdamW";
  static constexpr std::array<const char*, 3> buffer_names = Adam::buffer_names;
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdamWOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const AdamWOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T shrink = static_cast<T>(1 - o.lr * o.weight_decay);
    for (Eigen::Index i = 0; i < n; ++i) x[i] *= shrink;
    ///@}
    detail::adam_update(o, 0.0, s, x, grad, n);
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<AdamW, AdamWOptions>)

}  // namespace tapegrad::optim
