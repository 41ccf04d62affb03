// Fitting y = a·x + b to noisy points by gradient descent on the mean squared error:
// the path of (a, b) over the loss surface, and beside it the closed-form answer by QR
// (least squares solved directly). Then why the iterative method is the practical one
// with many features: a direct solve costs O(n·p²) to O(p³) — it grows eightfold when
// the features double — while one gradient step costs O(n·p), and a few hundred steps
// get close enough.
#include <Eigen/QR>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"
#include "regression_data.hpp"

namespace tg = tapegrad;

namespace {

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const lesson::Points points;
  const auto loss = [&](auto v) { return points.loss(v); };

  tg::plot::PathRecorder path;
  tg::Parameter v(Eigen::Vector2d(0, 0));
  tg::optim::Sgd sgd({v}, {.lr = 0.3});
  const tg::optim::MinimizeResult r =
      tg::optim::minimize(loss, v, sgd, {.max_steps = 200, .gradient_norm = 1e-8}, path);
  std::printf("path of (a, b):");
  for (std::size_t k = 0; k < path.runs[0].x.size() && k < 8; ++k)
    std::printf(" (%.3f, %.3f)", path.runs[0].x[k][0], path.runs[0].x[k][1]);
  std::printf(" …\ngradient descent: a = %.6f, b = %.6f after %ld steps (loss %.6f)\n", r.x[0], r.x[1],
              r.steps, r.f);

  Eigen::MatrixXd design(static_cast<Eigen::Index>(points.x.size()), 2);
  Eigen::VectorXd y(design.rows());
  for (Eigen::Index i = 0; i < design.rows(); ++i) {
    design(i, 0) = points.x[static_cast<std::size_t>(i)];
    design(i, 1) = 1;
    y(i) = points.y[static_cast<std::size_t>(i)];
  }
  const Eigen::Vector2d exact = design.householderQr().solve(y);
  std::printf("closed form (QR):  a = %.6f, b = %.6f\n", exact(0), exact(1));
  lesson::Claims claims;
  claims.check(std::abs(r.x[0] - exact(0)) < 1e-6 && std::abs(r.x[1] - exact(1)) < 1e-6,
               "gradient descent reaches the QR solution to six digits");

  const auto file = lesson::output_folder(argc, argv) / "linear_regression.svg";
  tg::plot::plot_path(file, loss, path, {"a", "b"}, "y = a x + b: gradient descent on the mean squared error",
                      {{{exact(0), exact(1)}, points.loss(std::vector<double>{exact(0), exact(1)}), 1}});
  lesson::wrote(file);

  // Many features: n = 4p rows. The direct solve's time against one gradient step's.
  std::printf("\nfeatures p   QR solve (ms)   one gradient step (ms)\n");
  std::mt19937 random(1);
  std::normal_distribution<double> normal;
  for (Eigen::Index p : {100, 200, 400, 800}) {
    const Eigen::Index n = 4 * p;
    Eigen::MatrixXd a(n, p);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = normal(random);
    const Eigen::VectorXd b = a * Eigen::VectorXd::Ones(p);
    Eigen::VectorXd w = Eigen::VectorXd::Zero(p), solved;
    const double qr = seconds_of([&] { solved = a.householderQr().solve(b); });
    const double step = seconds_of([&] { w -= 1e-4 * (a.transpose() * (a * w - b)); });
    std::printf("%10td   %13.2f   %22.3f\n", p, 1e3 * qr, 1e3 * step);
  }
  std::printf(
      "(the direct solve grows about 8x when p doubles, a gradient step about 4x: O(n p^2) against O(n "
      "p))\n");
  return claims.exit_code();
}
