// RMSprop with PyTorch's torch.optim.RMSprop rule, to the letter:
//   g ← ∇f + λ·θ                       (weight_decay λ; −∇f when maximizing)
//   v ← α·v + (1 − α)·g²
//   centered: ḡ ← lerp(ḡ, g, 1 − α), d ← √(v − ḡ²) + ε;   else d ← √v + ε
//   momentum μ > 0: b ← μ·b + g/d, θ ← θ − γ·b;           else θ ← θ − γ·g/d
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
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
    require_nonnegative(name, o, {"lr", "eps", "momentum", "weight_decay", "alpha"});
  }

  template <class T>
  void update(const RmsPropOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha),
            one_minus_alpha = static_cast<T>(1 - o.alpha);
    const T eps = static_cast<T>(o.eps), mu = static_cast<T>(o.momentum);
    T* square_avg = s.buffer(0, n);
    T* grad_avg = o.centered ? s.buffer(1, n) : nullptr;
    T* momentum = o.momentum > 0 ? s.buffer(2, n) : nullptr;
    detail::for_each_block(n, [&](Eigen::Index i, Eigen::Index length) {
      const detail::BlockArray<T> g =
          detail::effective_gradient(grad + i, x + i, length, o.maximize, o.weight_decay);
      detail::Column<T> xs(x + i, length), v(square_avg + i, length);
      v = v * alpha + one_minus_alpha * g * g;
      detail::BlockArray<T> d;
      if (grad_avg != nullptr) {
        detail::Column<T> mean(grad_avg + i, length);
        detail::lerp_in_place(mean, g, one_minus_alpha);
        d = (v + T(-1) * mean * mean).sqrt() + eps;
      } else {
        d = v.sqrt() + eps;
      }
      if (momentum != nullptr) {
        detail::Column<T> b(momentum + i, length);
        b = b * mu + g / d;
        xs += -lr * b;
      } else {
        xs += (-lr * g) / d;
      }
    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<RmsProp, RmsPropOptions>)

}  // namespace tapegrad::optim
