// Optimizers at work: the 2-D Rosenbrock function from (−1.5, 2) to its minimum (1, 1),
// L-BFGS with strong Wolfe to a gradient norm of 1e-8, save → load → continue, random
// restarts on a function with two minima, schedulers, clipping, and callbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

tg::Var rosenbrock(std::span<const tg::Var> x) {
  return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
}
const std::vector<double> rosenbrock_start = {-1.5, 2.0};

template <class MakeOptimizer>
opt::MinimizeResult run_rosenbrock(MakeOptimizer make, long max_steps) {
  return opt::minimize(rosenbrock, std::span<const double>(rosenbrock_start), make,
                       {.max_steps = max_steps, .gradient_norm = 1e-6});
}

void expect_at_minimum(const opt::MinimizeResult& r, double max_error, const char* what) {
  EXPECT_NEAR(r.x[0], 1.0, max_error)
      << what << " after " << r.steps << " steps (" << opt::to_string(r.reason) << ")";
  EXPECT_NEAR(r.x[1], 1.0, max_error) << what;
}

TEST(Rosenbrock, EachOptimizerReachesTheMinimumWithinItsBudget) {
  // Budgets are what each needs from (−1.5, 2) with these settings, with some slack.
  expect_at_minimum(
      run_rosenbrock([](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 1e-3, .momentum = 0.9}); }, 20000),
      1e-3, "Sgd with momentum");
  expect_at_minimum(
      run_rosenbrock(
          [](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 1e-3, .momentum = 0.9, .nesterov = true}); },
          20000),
      1e-3, "Sgd with Nesterov");
  expect_at_minimum(run_rosenbrock([](tg::Parameter& x) { return opt::Adam({x}, {.lr = 0.02}); }, 20000),
                    1e-3, "Adam");
  expect_at_minimum(
      run_rosenbrock([](tg::Parameter& x) { return opt::AdamW({x}, {.lr = 0.02, .weight_decay = 0}); },
                     20000),
      1e-3, "AdamW");
  expect_at_minimum(
      run_rosenbrock([](tg::Parameter& x) { return opt::RmsProp({x}, {.lr = 1e-3, .momentum = 0.9}); },
                     30000),
      2e-3, "RmsProp");
  expect_at_minimum(run_rosenbrock([](tg::Parameter& x) { return opt::Adagrad({x}, {.lr = 0.5}); }, 30000),
                    1e-3, "Adagrad");
  expect_at_minimum(run_rosenbrock([](tg::Parameter& x) { return opt::Lbfgs({x}, {}); }, 50), 1e-4,
                    "Lbfgs without line search");
}

TEST(Rosenbrock, LbfgsWithStrongWolfeReachesGradientNorm1e8) {
  const opt::MinimizeResult r =
      opt::minimize(rosenbrock, std::span<const double>(rosenbrock_start),
                    [](tg::Parameter& x) {
                      return opt::Lbfgs({x}, {.tolerance_grad = 1e-12,
                                              .tolerance_change = 1e-15,
                                              .line_search = opt::LineSearch::StrongWolfe});
                    },
                    {.max_steps = 20, .gradient_norm = 1e-8});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_LE(r.gradient_norm, 1e-8);
  expect_at_minimum(r, 1e-8, "Lbfgs with strong Wolfe");
}

// Runs `steps` SGD-momentum, Adam or L-BFGS steps on Rosenbrock for the Parameter x.
void run_steps(tg::Parameter& x, opt::Optimizer& o, int steps) {
  tg::Tape tape;
  const opt::Closure closure = [&] {
    tape.clear();
    std::vector<tg::Var> v = {x.value()(0), x.value()(1)};
    const tg::Var f = rosenbrock(v);
    const std::vector<double> g = tg::gradient(f, v);
    x.grad() = Eigen::Map<const Eigen::VectorXd>(g.data(), 2);
    return f.value();
  };
  for (int k = 0; k < steps; ++k) o.step(closure);
}

template <class Make>
void expect_resume_is_exact(Make make, const char* what) {
  const Eigen::VectorXd start = Eigen::Map<const Eigen::VectorXd>(rosenbrock_start.data(), 2);
  tg::Parameter straight(start);
  auto uninterrupted = make(straight);
  run_steps(straight, uninterrupted, 10);

  tg::Parameter first(start);
  auto before = make(first);
  run_steps(first, before, 5);
  const opt::StateDict saved = before.state_dict();
  const Eigen::MatrixXd saved_x = first.value();

  tg::Parameter resumed(saved_x);
  auto after = make(resumed);
  after.load_state_dict(saved);
  run_steps(resumed, after, 5);
  EXPECT_EQ(resumed.value(), straight.value()) << what;  // bit for bit
}

TEST(StateDict, SaveLoadContinueFollowsTheSameTrajectory) {
  expect_resume_is_exact([](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 1e-4, .momentum = 0.9}); },
                         "Sgd");
  expect_resume_is_exact([](tg::Parameter& x) { return opt::Adam({x}, {.lr = 0.01, .amsgrad = true}); },
                         "Adam");
  expect_resume_is_exact([](tg::Parameter& x) { return opt::RmsProp({x}, {.centered = true}); }, "RmsProp");
  expect_resume_is_exact([](tg::Parameter& x) { return opt::Adagrad({x}, {.lr_decay = 0.1}); }, "Adagrad");
  expect_resume_is_exact(
      [](tg::Parameter& x) {
        return opt::Lbfgs({x},
                          {.max_iter = 3, .history_size = 2, .line_search = opt::LineSearch::StrongWolfe});
      },
      "Lbfgs");
}

TEST(StateDict, ALearningRateChangedByASchedulerIsSaved) {
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 1});
  opt::ExponentialLr schedule(sgd, 0.5);
  schedule.step();
  tg::Parameter y(1.0);
  opt::Sgd restored({y}, {.lr = 1});
  restored.load_state_dict(sgd.state_dict());
  EXPECT_EQ(restored.learning_rate(0), 0.5);
}

TEST(StateDict, AMismatchedStateIsRejectedAndChangesNothing) {
  tg::Parameter x(Eigen::VectorXd::Ones(2)), small(1.0);
  opt::Adam adam({x}, {.lr = 0.1});
  x.grad().setOnes();
  adam.step();
  const opt::StateDict two = adam.state_dict();
  opt::Adam other({small}, {.lr = 0.3});
  EXPECT_THROW(other.load_state_dict(two), tg::Error);
  EXPECT_EQ(other.learning_rate(0), 0.3);
  opt::StateDict missing = two;
  missing.entries.erase("group.0.beta1");
  EXPECT_THROW(adam.load_state_dict(missing), tg::Error);
}

TEST(Restarts, FindTheGlobalOfTwoMinima) {
  // f = x⁴ − 3x² + x has minima near x = −1.30 (f ≈ −3.51, global) and x = 1.13
  // (f ≈ −1.07); both are roots of f' = 4x³ − 6x + 1.
  const auto f = [](std::span<const tg::Var> x) {
    return tg::pow(x[0], 4.0) - 3.0 * tg::square(x[0]) + x[0];
  };
  const std::vector<double> lower = {-2}, upper = {2};
  const opt::RestartsResult r =
      opt::minimize_with_restarts(f, lower, upper, 10, 1234,
                                  [](tg::Parameter& x) {
                                    return opt::Lbfgs({x}, {.tolerance_grad = 1e-12,
                                                            .tolerance_change = 1e-15,
                                                            .line_search = opt::LineSearch::StrongWolfe});
                                  },
                                  {.max_steps = 50, .gradient_norm = 1e-10});
  ASSERT_EQ(r.minima.size(), 2u);
  const double best = r.best.x[0];
  EXPECT_LT(best, -1.2);
  EXPECT_NEAR(4 * best * best * best - 6 * best + 1, 0, 1e-9);
  const double other = r.minima[1].result.x[0];
  EXPECT_GT(other, 1.0);
  EXPECT_LT(r.best.f, r.minima[1].result.f);
  EXPECT_EQ(r.minima[0].found + r.minima[1].found, 10);
}

TEST(Callbacks, AreCalledEachStepAndCanStopEarly) {
  struct Count {
    int steps = 0;
    int ends = 0;
    void on_step(const opt::StepReport&) { ++steps; }
    void on_end(const opt::MinimizeResult&) { ++ends; }
  } count;
  opt::KeepBest best;
  tg::Parameter x(Eigen::VectorXd::Constant(1, 3.0));
  opt::Sgd sgd({x}, {.lr = 0.1});
  // f = x², x ← 0.8x: x = 3, 2.4, 1.92, 1.536, 1.2288, 0.98304; f first falls below 1
  // after the fifth update, so the callback stops there.
  const opt::MinimizeResult r = opt::minimize([](std::span<const tg::Var> v) { return tg::square(v[0]); }, x,
                                              sgd, {.max_steps = 100}, count, best, opt::StopWhenF{1.0});
  EXPECT_EQ(r.reason, opt::StopReason::Callback);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(count.steps, 6);  // steps 0 to 5, each reported before its update
  EXPECT_EQ(count.ends, 1);
  EXPECT_NEAR(best.x[0], 3 * std::pow(0.8, 5), 1e-12);
}

TEST(Schedulers, StepExponentialCosineAndPlateau) {
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 1});
  opt::StepLr step(sgd, 2, 0.5);
  std::vector<double> lrs;
  for (int e = 0; e < 4; ++e) {
    step.step();
    lrs.push_back(sgd.learning_rate(0));
  }
  EXPECT_EQ(lrs, (std::vector<double>{1, 0.5, 0.5, 0.25}));

  opt::Sgd sgd2({x}, {.lr = 1});
  opt::CosineAnnealingLr cosine(sgd2, 4, 0.0);
  for (int t = 1; t <= 4; ++t) {
    cosine.step();
    EXPECT_NEAR(sgd2.learning_rate(0), (1 + std::cos(M_PI * t / 4)) / 2, 1e-12) << "epoch " << t;
  }

  opt::Sgd sgd3({x}, {.lr = 1});
  opt::ReduceLrOnPlateau plateau(sgd3, {.patience = 2});
  // Epoch 1 sets the best; epochs 2, 3 are bad (2 ≤ patience); epoch 4 is the third.
  for (int e = 1; e <= 3; ++e) {
    plateau.step(5.0);
    EXPECT_EQ(sgd3.learning_rate(0), 1.0) << "epoch " << e;
  }
  plateau.step(5.0);
  EXPECT_NEAR(sgd3.learning_rate(0), 0.1, 1e-15);
}

TEST(Clipping, ByGlobalNormAndByValue) {
  tg::Parameter a(3.0), b(4.0);
  a.grad()(0) = 3, b.grad()(0) = 4;  // global norm 5
  const double norm = opt::clip_grad_norm({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  EXPECT_NEAR(a.grad()(0), 3 / (5 + 1e-6), 1e-15);
  EXPECT_NEAR(b.grad()(0), 4 / (5 + 1e-6), 1e-15);
  a.grad()(0) = -3, b.grad()(0) = 0.5;
  opt::clip_grad_value({a, b}, 1.0);
  EXPECT_EQ(a.grad()(0), -1.0);
  EXPECT_EQ(b.grad()(0), 0.5);
}

}  // namespace
