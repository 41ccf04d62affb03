// Adadelta with PyTorch's torch.optim.Adadelta rule, to the letter:
//   g ← ∇f + λ·θ                          (weight_decay λ; −∇f when maximizing)
//   v ← ρ·v + (1 − ρ)·g²
//   Δ ← √(u + ε) / √(v + ε) · g
//   u ← ρ·u + (1 − ρ)·Δ²
//   θ ← θ − γ·Δ                           (γ = lr, 1.0 by default: Adadelta's own scale)
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
  bool maximize = false;

  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("rho", o.rho), v("eps", o.eps), v("weight_decay", o.weight_decay),
        v("maximize", o.maximize);
  }
};

class Adadelta : public GroupedOptimizer<Adadelta, AdadeltaOptions> {
 public:
  static constexpr const char* name = "Adadelta";
  static constexpr std::array<const char*, 2> buffer_names = {"square_avg", "acc_delta"};
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdadeltaOptions& o) {
    require_nonnegative(name, o, {"lr", "eps", "weight_decay"});
    require(o.rho >= 0 && o.rho <= 1, name, "rho", o.rho, "is outside [0, 1]");
  }

  template <class T>
  void update(const AdadeltaOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), rho = static_cast<T>(o.rho), one_minus_rho = static_cast<T>(1 - o.rho),
            eps = static_cast<T>(o.eps);
    T* square_avg = s.buffer(0, n);
    T* acc_delta = s.buffer(1, n);
    detail::for_each_gradient_block(
        x, grad, n, o.maximize, o.weight_decay, [&](const auto& g, auto xs, auto i) {
          detail::Column<T> vs(square_avg + i, g.size()), us(acc_delta + i, g.size());
          vs = vs * rho + one_minus_rho * g * g;
          const detail::BlockArray<T> delta = (us + eps).sqrt() / (vs + eps).sqrt() * g;
          us = us * rho + one_minus_rho * delta * delta;
          xs -= lr * delta;
        });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adadelta, AdadeltaOptions>)

}  // namespace tapegrad::optim
