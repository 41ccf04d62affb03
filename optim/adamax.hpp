// Adamax with PyTorch's torch.optim.Adamax rule, to the letter (step t from 1):
//   g ← ∇f + λ·θ                       (weight_decay λ; −∇f when maximizing)
//   m ← lerp(m, g, 1 − β1)
//   u ← max(β2·u, |g| + ε)              (the infinity norm; ε inside the max, as PyTorch)
//   θ ← θ − (γ / (1 − β1ᵗ)) · m / u
#pragma once

#include <cmath>

#include "../autodiff/support/instantiate.hpp"
#include "adam.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

struct AdamaxDefaults {
  static constexpr double lr = 2e-3, weight_decay = 0;
  static constexpr bool has_amsgrad = false;
};
using AdamaxOptions = AdamFamilyOptions<AdamaxDefaults>;

class Adamax : public GroupedOptimizer<Adamax, AdamaxOptions> {
 public:
  static constexpr const char* name = "Adamax";
  static constexpr std::array<const char*, 2> buffer_names = {"exp_avg", "exp_inf"};
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
                                    });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adamax, AdamaxOptions>)

}  // namespace tapegrad::optim
