// Stochastic gradient descent with PyTorch's torch.optim.SGD rule, to the letter:
//   g ← ∇f + λ·θ                          (weight_decay λ; −∇f + λ·θ when maximizing)
//   b ← g on the first step, else μ·b + (1 − τ)·g   (momentum μ, dampening τ)
//   g ← g + μ·b if nesterov, else b        (only when μ ≠ 0)
//   θ ← θ − γ·g
#pragma once

#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

struct SgdOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;

  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("momentum", o.momentum), v("dampening", o.dampening), v("weight_decay", o.weight_decay),
        v("nesterov", o.nesterov), v("maximize", o.maximize);
  }
};

class Sgd : public GroupedOptimizer<Sgd, SgdOptions> {
 public:
  static constexpr const char* name = "Sgd";
  static constexpr std::array<const char*, 1> buffer_names = {"momentum_buffer"};
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const SgdOptions& o) {
    require(o.lr >= 0, name, "lr", o.lr, "must be >= 0");
    require(o.momentum >= 0, name, "momentum", o.momentum, "must be >= 0");
    require(o.weight_decay >= 0, name, "weight_decay", o.weight_decay, "must be >= 0");
    if (o.nesterov) {
      require(o.momentum > 0, name, "momentum", o.momentum, "must be > 0 with nesterov");
      require(o.dampening == 0, name, "dampening", o.dampening, "must be 0 with nesterov");
    }
  }

  template <class T>
  void update(const SgdOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    const T lr = static_cast<T>(o.lr), decay = static_cast<T>(o.weight_decay);
    const T sign = o.maximize ? T(-1) : T(1);
    const T mu = static_cast<T>(o.momentum), keep = static_cast<T>(1 - o.dampening);
    // λ·θ is added only when λ ≠ 0, as PyTorch does (0·∞ would be NaN).
    const bool decays = o.weight_decay != 0;
    if (o.momentum == 0) {
      for (Eigen::Index i = 0; i < n; ++i)
        x[i] -= lr * (decays ? sign * grad[i] + decay * x[i] : sign * grad[i]);
      return;
    }
    const bool first = !s.has(0);
    T* b = s.buffer(0, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const T g = decays ? sign * grad[i] + decay * x[i] : sign * grad[i];
      b[i] = first ? g : mu * b[i] + keep * g;
      x[i] -= lr * (o.nesterov ? g + mu * b[i] : b[i]);
    }
  }
};

}  // namespace tapegrad::optim
