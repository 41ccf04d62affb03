// RMSprop with PyTorch's torch.optim.RMSprop rule, to the letter:
//   g ← ∇f + λ·θ                       (weight_decay λ; −∇f when maximizing)
//   v ← α·v + (1 − α)·g²
//   centered: ḡ ← lerp(ḡ, g, 1 − α), d ← √(v − ḡ²) + ε;   else d ← √v + ε
//   momentum μ > 0: b ← μ·b + g/d, θ ← θ − γ·b;           else θ ← θ − γ·g/d
#pragma once

#include <cmath>

#include "adam.hpp"  // detail::lerp
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

struct RmsPropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;

  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("alpha", o.alpha), v("eps", o.eps), v("weight_decay", o.weight_decay),
        v("momentum", o.momentum), v("centered", o.centered), v("maximize", o.maximize);
  }
};

class RmsProp : public GroupedOptimizer<RmsProp, RmsPropOptions> {
 public:
  static constexpr const char* name = "RmsProp";
  static constexpr std::array<const char*, 3> buffer_names = {"square_avg", "grad_avg", "momentum_buffer"};
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const RmsPropOptions& o) {
    require(o.lr >= 0, name, "lr", o.lr, "must be >= 0");
    require(o.eps >= 0, name, "eps", o.eps, "must be >= 0");
    require(o.momentum >= 0, name, "momentum", o.momentum, "must be >= 0");
    require(o.weight_decay >= 0, name, "weight_decay", o.weight_decay, "must be >= 0");
    require(o.alpha >= 0, name, "alpha", o.alpha, "must be >= 0");
  }

  template <class T>
  void update(const RmsPropOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha),
            one_minus_alpha = static_cast<T>(1 - o.alpha);
    const T eps = static_cast<T>(o.eps), decay = static_cast<T>(o.weight_decay),
            mu = static_cast<T>(o.momentum);
    T* square_avg = s.buffer(0, n);
    T* grad_avg = o.centered ? s.buffer(1, n) : nullptr;
    T* b = o.momentum > 0 ? s.buffer(2, n) : nullptr;
    for (Eigen::Index i = 0; i < n; ++i) {
      T g = o.maximize ? -grad[i] : grad[i];
      if (o.weight_decay != 0) g += decay * x[i];
      square_avg[i] = square_avg[i] * alpha + one_minus_alpha * g * g;
      T d;
      if (grad_avg != nullptr) {
        grad_avg[i] = detail::lerp(grad_avg[i], g, one_minus_alpha);
        d = std::sqrt(square_avg[i] + T(-1) * grad_avg[i] * grad_avg[i]) + eps;
      } else {
        d = std::sqrt(square_avg[i]) + eps;
      }
      if (b != nullptr) {
        b[i] = b[i] * mu + g / d;
        x[i] += -lr * b[i];
      } else {
        x[i] += -lr * g / d;
      }
    }
  }
};

}  // namespace tapegrad::optim
