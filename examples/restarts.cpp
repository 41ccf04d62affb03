// A function with four minima of different depths:
//   f(x, y) = (x² − 1)² + (y² − 1)² + 0.3·x + 0.2·y,
// near (±1, ±1). Gradient-based descent finds the minimum of the basin it starts in, so
// one start is a gamble: twelve random starts in [−2, 2]² find every minimum, count how
// many starts reached each, and return the lowest, near (−1, −1).
#include <cmath>
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
  const auto f = [](auto x) {
    return tg::square(x[0] * x[0] - 1.0) + tg::square(x[1] * x[1] - 1.0) + 0.3 * x[0] + 0.2 * x[1];
  };
  const std::vector<double> lower{-2, -2}, upper{2, 2};
  const auto make = [](tg::Parameter& x) {
    return std::make_unique<tg::optim::Lbfgs>(
        std::vector<tg::optim::ParameterRef>{x},
        tg::optim::LbfgsOptions{.max_iter = 1});  // one iterate per step
  };
  tg::plot::PathRecorder paths;
  const tg::optim::RestartsResult r = tg::optim::minimize_with_restarts(f, lower, upper, 12, /*seed=*/3, make,
                                                                        {.max_steps = 200}, 1e-4, paths);
  std::vector<tg::plot::Minimum> minima;
  for (const tg::optim::LocalMinimum& m : r.minima) {
    std::printf("minimum at (%+.4f, %+.4f): f = %+.5f, reached from %ld of 12 starts\n", m.result.x[0],
                m.result.x[1], m.result.f, m.found);
    minima.push_back({m.result.x, m.result.f, m.found});
  }
  std::printf("lowest: f = %.5f at (%.4f, %.4f)\n", r.best.f, r.best.x[0], r.best.x[1]);
  // f is a double well in each coordinate (minima near ±1), tilted by 0.3x + 0.2y: four
  // minima, the lowest where both tilts help, near (−1, −1).
  lesson::Claims claims;
  claims.check(r.minima.size() == 4, "the twelve starts find all four minima");
  claims.check(r.best.x[0] < -0.9 && r.best.x[1] < -0.9, "the lowest minimum is the one near (-1, -1)");
  const auto file = lesson::output_folder(argc, argv) / "restarts.svg";
  tg::plot::plot_path(file, f, paths, {"x", "y"}, "12 random starts, L-BFGS", minima);
  lesson::wrote(file);
  return claims.exit_code();
}
