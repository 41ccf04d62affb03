// f(x1, x2) = x1² + x2² + |x1 + x2| has a kink along x1 + x2 = 0. From (1, 1) its
// gradient is (3, 3) — 2·x + sign(x1 + x2) — and one step of 0.001 goes to
// (0.997, 0.997). Gradient descent then walks down the diagonal to the minimum at the
// kink, (0, 0), where the gradient jumps from (1, 1) to (−1, −1): a fixed step η cannot
// settle there. On the diagonal x ← (1 − 2η)·x ∓ η, which ends in a two-step cycle
// across the kink at ±η/(2 − 2η) (±0.056 for η = 0.1): a smaller step shrinks the cycle,
// only a shrinking step ends it. (At the kink itself tapegrad takes |u|' = 0, PyTorch's
// choice.)
#include <cmath>
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
  const auto f = [](auto x) { return x[0] * x[0] + x[1] * x[1] + tg::abs(x[0] + x[1]); };

  tg::Tape tape;
  tg::Var x1 = 1.0, x2 = 1.0;
  const tg::Var y = f(std::vector<tg::Var>{x1, x2});
  const std::vector<double> g = tg::gradient(y, {x1, x2});
  std::printf("f(1, 1) = %g, gradient = (%g, %g)\n", y.value(), g[0], g[1]);
  std::printf("one step of 0.001: (%g, %g)\n", 1 - 0.001 * g[0], 1 - 0.001 * g[1]);
  lesson::Claims claims;
  // ∂f/∂xᵢ = 2xᵢ + sign(x1 + x2) = 2 + 1 at (1, 1).
  claims.check(g[0] == 3 && g[1] == 3, "the gradient at (1, 1) is (3, 3)");

  // The whole path with a step of 0.1: down the diagonal, then across the kink.
  tg::plot::PathRecorder path;
  tg::Parameter x(Eigen::Vector2d(1, 1));
  tg::optim::Sgd sgd({x}, {.lr = 0.1});
  const tg::optim::MinimizeResult r = tg::optim::minimize(f, x, sgd, {.max_steps = 40}, path);
  std::printf("after %ld steps of 0.1: (%.4f, %.4f), f = %.4f, |gradient| = %.3f (the kink's jump, not 0)\n",
              r.steps, r.x[0], r.x[1], r.f, r.gradient_norm);
  const auto file = lesson::output_folder(argc, argv) / "nondifferentiable.svg";
  tg::plot::plot_path(file, f, path, {"x1", "x2"}, "x1² + x2² + |x1 + x2|, steps of 0.1");
  // Across the kink each step flips the sign term: x ← (1 − 2η)x ∓ η on the diagonal
  // alternates between ±η/(2 − 2η); the distance to that cycle shrinks by 1 − 2η = 0.8 a
  // step, so after 40 steps it is below 0.8⁴⁰ ≈ 1.3e-4 of the first (which is under 1).
  const double cycle = 0.1 / (2 - 2 * 0.1);
  claims.check(std::abs(r.x[0] - r.x[1]) < 1e-12 && std::abs(std::abs(r.x[0]) - cycle) < 2e-4,
               "steps of 0.1 end in the two-step cycle at +-eta/(2 - 2 eta) on the diagonal");
  lesson::wrote(file);
  return claims.exit_code();
}
