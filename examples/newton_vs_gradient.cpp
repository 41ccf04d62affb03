// Rosenbrock's function from (−1.2, 1) by three methods, their paths on one chart:
// gradient descent follows the steepest direction, across the curved valley, and
// crawls along it; L-BFGS builds a curvature estimate from its last steps; Newton's
// method uses the exact Hessian (forward-over-reverse on the tape) and takes the
// valley's curve into account at every step. Each stops when |∇f| < 1e-6 (or after
// 20 000 steps).
#include <cmath>
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
  const auto rosenbrock = [](auto x) {
    return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
  };
  const std::vector<double> start{-1.2, 1};
  const tg::optim::StopWhen stop{.max_steps = 20000, .gradient_norm = 1e-6};
  tg::plot::PathRecorder paths;
  lesson::Claims claims;
  struct Method {
    const char* name;
    std::function<std::unique_ptr<tg::optim::Optimizer>(tg::Parameter&)> make;
  };
  const std::vector<Method> methods = {
      {"gradient descent",
       [](tg::Parameter& x) {
         return std::make_unique<tg::optim::Sgd>(std::vector<tg::optim::ParameterRef>{x},
                                                 tg::optim::SgdOptions{.lr = 0.0015});
       }},
      {"L-BFGS",
       [](tg::Parameter& x) {
         return std::make_unique<tg::optim::Lbfgs>(
             std::vector<tg::optim::ParameterRef>{x},
             tg::optim::LbfgsOptions{.max_iter = 1, .line_search = tg::optim::LineSearch::StrongWolfe});
       }},
      {"Newton",
       [](tg::Parameter& x) {
         return std::make_unique<tg::optim::Newton>(std::vector<tg::optim::ParameterRef>{x});
       }},
  };
  for (const Method& m : methods) {
    const tg::optim::MinimizeResult r = tg::optim::minimize(rosenbrock, start, m.make, stop, paths);
    std::printf("%-16s %6ld steps to (%.6f, %.6f), f = %.2e, stopped by: %s\n", m.name, r.steps, r.x[0],
                r.x[1], r.f, tg::optim::to_string(r.reason));
    paths.runs.back().label = std::string(m.name) + " (" + std::to_string(r.steps) + " steps)";
    // Rosenbrock's minimum is (1, 1); every method gets there, at very different costs.
    claims.check(std::abs(r.x[0] - 1) < 1e-3 && std::abs(r.x[1] - 1) < 1e-3,
                 std::string(m.name) + " reaches the minimum (1, 1)");
  }
  tg::plot::PathChart chart;
  chart.title = "Rosenbrock from (-1.2, 1)";
  chart.names = {"x", "y"};
  chart.f = [&](std::span<const double> x) {
    return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
  };
  chart.runs = paths.runs;
  chart.f_panel = true;
  const auto file = lesson::output_folder(argc, argv) / "newton_vs_gradient.svg";
  tg::plot::write_svg(file, chart);
  lesson::wrote(file);
  return claims.exit_code();
}
