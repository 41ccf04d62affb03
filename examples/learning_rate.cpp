// The regression of linear_regression.cpp by gradient descent at three learning rates.
// Its loss is a quadratic bowl whose Hessian, 2·[mean x², mean x; mean x, 1], has
// eigenvalues λ ≈ 0.31 and 4.25 (a long narrow valley): a step of η multiplies the error
// along each eigenvector by 1 − η·λ.
//  - η = 0.02 is too small: along the flat direction 1 − 0.006 per step — it creeps;
//  - η = 0.3 is good: both factors below 1 in size (0.91 and −0.28);
//  - η = 0.5 is too large: 1 − 0.5·4.25 = −1.13 — it overshoots, oscillates across the
//    valley with a growing swing, and diverges. Any η above 2/λmax ≈ 0.47 does.
#include <cmath>
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"
#include "regression_data.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
  const lesson::Points points;
  const auto loss = [&](auto v) { return points.loss(v); };
  tg::plot::PathRecorder paths;
  std::vector<double> final_loss;
  for (double lr : {0.02, 0.3, 0.5}) {
    tg::Parameter v(Eigen::Vector2d(0, 0));
    tg::optim::Sgd sgd({v}, {.lr = lr});
    const tg::optim::MinimizeResult r = tg::optim::minimize(loss, v, sgd, {.max_steps = 40}, paths);
    std::printf("lr %-4g after %ld steps: a = %8.4f, b = %8.4f, loss %.4g\n", lr, r.steps, r.x[0], r.x[1],
                r.f);
    char label[32];
    std::snprintf(label, sizeof label, "lr %g", lr);
    paths.runs.back().label = label;
    final_loss.push_back(r.f);
  }
  lesson::Claims claims;
  const double start = points.loss(std::vector<double>{0, 0});
  claims.check(final_loss[1] < final_loss[0] && final_loss[0] < start,
               "0.02 and 0.3 both descend, 0.3 much further in 40 steps");
  claims.check(!(final_loss[2] < start), "0.5, above 2/lambda_max, ends above where it started");
  tg::plot::PathChart chart;
  chart.title = "y = a x + b: three learning rates";
  chart.names = {"a", "b"};
  chart.f = [&](std::span<const double> v) { return points.loss(v); };
  chart.runs = paths.runs;
  chart.f_panel = true;
  const auto file = lesson::output_folder(argc, argv) / "learning_rate.svg";
  tg::plot::write_svg(file, chart);
  lesson::wrote(file);
  return claims.exit_code();
}
