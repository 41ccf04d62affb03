// What the property tests share: which seeds they run, and the finite difference they
// check gradients against.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../../autodiff/check/gradient.hpp"

namespace tapegrad::testing {

// `count` consecutive seeds from 0, or only the seed named by the environment variable,
// so that a failure printed as "seed 4711" is replayed alone with e.g.
// TAPEGRAD_SCALAR_GRAPH_SEED=4711.
inline std::vector<std::uint64_t> property_seeds(const char* replay_variable, std::uint64_t count) {
  if (const char* replay = std::getenv(replay_variable); replay != nullptr && *replay != '\0')
    return {std::stoull(replay)};
  std::vector<std::uint64_t> seeds(count);
  for (std::uint64_t s = 0; s < count; ++s) seeds[s] = s;
  return seeds;
}

// check_gradient's step at x.
inline double default_step(double x) {
  return GradientCheckOptions{}.relative_step * std::max(1.0, std::abs(x));
}

struct FiniteDifference {
  double estimate;
  double error_bound;
};

// df/dx at x0 by the five-point central difference (error O(h^4)) at steps h and h/2,
// combined by Richardson extrapolation, with h halved from check_gradient's default
// until the two agree to `agreement`. A fast-varying graph (cos(cosh(x)) where cosh is
// in the thousands) needs a far smaller step than a tame one. What disagreement remains
// bounds the estimate's error, and the comparison allows for it; a wrong derivative rule
// is off by the same amount at every step, so it is not excused.
template <class F>
FiniteDifference richardson_difference(F&& f, double x0, double agreement) {
  // check_gradient's stencil, at step h.
  auto five_point = [&](double h) {
    return detail::five_point_derivative(f, x0, {.relative_step = h / std::max(1.0, std::abs(x0))});
  };
  double h = default_step(x0);
  double coarse = five_point(h);
  double fine = five_point(h / 2);
  for (int halving = 0; halving < 6 && !(std::abs(fine - coarse) <= agreement); ++halving) {
    h /= 2;
    coarse = fine;
    fine = five_point(h / 2);
  }
  return {fine + (fine - coarse) / 15, std::abs(fine - coarse)};
}

// |tape − fd| allowed: 1e-7 relative, 1e-9 of the graph's scale (its value and largest
// gradient entry), plus the finite difference's own error bound.
inline double gradient_tolerance(double tape, const FiniteDifference& fd, double scale) {
  return 1e-7 * std::max(std::abs(tape), std::abs(fd.estimate)) + 1e-9 * scale + fd.error_bound;
}

}  // namespace tapegrad::testing
