/// \file
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: applied to
/// the Parameters' gradients between backward() and optimizer.step().
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// Scales every gradient by max_norm / (‖g‖ + 1e-6) when that is below 1, where ‖g‖ is
/// the norm of all gradients taken together (norm_type 2, or infinity for the largest
/// magnitude). Returns ‖g‖ before clipping.
inline double clip_grad_norm(const std::vector<ParameterRef>& parameters, double max_norm,
                             double norm_type = 2) {
  require(max_norm >= 0, "clip_grad_norm", "max_norm", max_norm, "must be >= 0");
  require(norm_type > 0, "clip_grad_norm", "norm_type", norm_type, "must be > 0");
  const bool infinity = std::isinf(norm_type);
  double total = 0;
  for (const ParameterRef& p : parameters)
    p.visit([&](auto& parameter) {
      for (Eigen::Index i = 0; i < parameter.size(); ++i) {
        const double g = std::abs(static_cast<double>(parameter.grad()(i)));
        total = infinity ? std::max(total, g) : total + std::pow(g, norm_type);
      }
    });
  if (!infinity) total = std::pow(total, 1 / norm_type);
  const double coefficient = std::min(max_norm / (total + 1e-6), 1.0);
  for (const ParameterRef& p : parameters)
    p.visit([&](auto& parameter) {
      using T = typename std::decay_t<decltype(parameter)>::value_type;
      parameter.grad() *= static_cast<T>(coefficient);
    });
  return total;
}

/// Clamps every gradient entry to [−clip_value, clip_value].
inline void clip_grad_value(const std::vector<ParameterRef>& parameters, double clip_value) {
  require(clip_value >= 0, "clip_grad_value", "clip_value", clip_value, "must be >= 0");
  for (const ParameterRef& p : parameters)
    p.visit([&](auto& parameter) {
      using T = typename std::decay_t<decltype(parameter)>::value_type;
      const T v = static_cast<T>(clip_value);
      parameter.grad() = parameter.grad().cwiseMax(-v).cwiseMin(v);
    });
}

}  // namespace tapegrad::optim
