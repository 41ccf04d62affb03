// AdamW with PyTorch's torch.optim.AdamW rule: the weight decay is decoupled from the
// gradient, θ ← θ·(1 − γλ) first, then Adam's update without λ in g. Its default λ is
// 0.01 (Adam's is 0).
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"

namespace tapegrad::optim {

struct AdamWDefaults {
  static constexpr double lr = 1e-3, weight_decay = 1e-2;
  static constexpr bool has_amsgrad = true;
};
using AdamWOptions = AdamFamilyOptions<AdamWDefaults>;

class AdamW : public GroupedOptimizer<AdamW, AdamWOptions> {
 public:
  static constexpr const char* name = "AdamW";
  static constexpr std::array<const char*, 3> buffer_names = Adam::buffer_names;
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdamWOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const AdamWOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T shrink = static_cast<T>(1 - o.lr * o.weight_decay);
    for (Eigen::Index i = 0; i < n; ++i) x[i] *= shrink;
    detail::adam_update(o, 0.0, s, x, grad, n);
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<AdamW, AdamWOptions>)

}  // namespace tapegrad::optim
