// AdamW with PyTorch's torch.optim.AdamW rule: the weight decay is decoupled from the
// gradient, θ ← θ·(1 − γλ) first, then Adam's update without λ in g. Its default λ is
// 0.01 (Adam's is 0).
#pragma once

#include "adam.hpp"

namespace tapegrad::optim {

// Adam's options with AdamW's default weight decay.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;

  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("beta1", o.beta1), v("beta2", o.beta2), v("eps", o.eps),
        v("weight_decay", o.weight_decay), v("amsgrad", o.amsgrad), v("maximize", o.maximize);
  }
};

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

}  // namespace tapegrad::optim
