// Adam with PyTorch's torch.optim.Adam rule, to the letter (step t counts from 1):
//   g ← ∇f + λ·θ                            (weight_decay λ; −∇f when maximizing)
//   m ← lerp(m, g, 1 − β1),  v ← β2·v + (1 − β2)·g²
//   v̂ ← max(v̂, v) with amsgrad, else v
//   θ ← θ − (γ / (1 − β1ᵗ)) · m / (√v̂ / √(1 − β2ᵗ) + ε)
// ε is added after the bias correction of √v, as PyTorch does.
#pragma once

#include <cmath>

#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;

  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("beta1", o.beta1), v("beta2", o.beta2), v("eps", o.eps),
        v("weight_decay", o.weight_decay), v("amsgrad", o.amsgrad), v("maximize", o.maximize);
  }
};

namespace detail {

// torch.lerp's formula: exact at both ends, whichever side the weight is nearer.
template <class T>
T lerp(T from, T to, T weight) {
  return weight < T(0.5) ? from + weight * (to - from) : to - (to - from) * (T(1) - weight);
}

template <class Options>
void validate_adam(const char* name, const Options& o) {
  require(o.lr >= 0, name, "lr", o.lr, "must be >= 0");
  require(o.eps >= 0, name, "eps", o.eps, "must be >= 0");
  require(o.beta1 >= 0 && o.beta1 < 1, name, "beta1", o.beta1, "is outside [0, 1)");
  require(o.beta2 >= 0 && o.beta2 < 1, name, "beta2", o.beta2, "is outside [0, 1)");
  require(o.weight_decay >= 0, name, "weight_decay", o.weight_decay, "must be >= 0");
}

// The Adam update of one parameter; `decay` is the coupled weight decay (Adam's λ,
// 0 for AdamW, which decays θ itself before calling this).
template <class Options, class T>
void adam_update(const Options& o, double decay, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
  const double t = static_cast<double>(s.step);
  const double bias_correction1 = 1 - std::pow(o.beta1, t);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const T step_size = static_cast<T>(o.lr / bias_correction1);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T one_minus_beta1 = static_cast<T>(1 - o.beta1), beta2 = static_cast<T>(o.beta2);
  const T one_minus_beta2 = static_cast<T>(1 - o.beta2), eps = static_cast<T>(o.eps),
          lambda = static_cast<T>(decay);
  T* m = s.buffer(0, n);
  T* v = s.buffer(1, n);
  T* v_max = o.amsgrad ? s.buffer(2, n) : nullptr;
  for (Eigen::Index i = 0; i < n; ++i) {
    T g = o.maximize ? -grad[i] : grad[i];
    if (decay != 0) g += lambda * x[i];
    m[i] = lerp(m[i], g, one_minus_beta1);
    v[i] = v[i] * beta2 + one_minus_beta2 * g * g;
    T v_hat = v[i];
    if (v_max != nullptr) v_hat = v_max[i] = std::max(v_max[i], v[i]);
    const T denominator = std::sqrt(v_hat) / bias_correction2_sqrt + eps;
    x[i] += -step_size * m[i] / denominator;
  }
}

}  // namespace detail

class Adam : public GroupedOptimizer<Adam, AdamOptions> {
 public:
  static constexpr const char* name = "Adam";
  static constexpr std::array<const char*, 3> buffer_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdamOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const AdamOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    detail::adam_update(o, o.weight_decay, s, x, grad, n);
  }
};

}  // namespace tapegrad::optim
