// Each optimizer's first steps on f(x) = x² (∇f = 2x) from x = 1, worked out from
// PyTorch's documented update rule in the comments, to 1e-12 in double; and the
// hyperparameter checks.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

#include "optimizer_checks.hpp"

namespace {

using optimizer_checks::expect_entrywise;
using optimizer_checks::expect_error;

constexpr double tolerance = 1e-12;

// Steps `optimizer` on f(x) = x² for the scalar Parameter x and returns x after each.
std::vector<double> steps_on_square(tg::Parameter& x, opt::Optimizer& optimizer, int count) {
  std::vector<double> trajectory;
  for (int k = 0; k < count; ++k) {
    optimizer.zero_grad();
    x.grad()(0) = 2 * x.value()(0);
    optimizer.step();
    trajectory.push_back(x.value()(0));
  }
  return trajectory;
}

void expect_trajectory(const std::vector<double>& got, const std::vector<double>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t k = 0; k < got.size(); ++k)
    EXPECT_NEAR(got[k], expected[k], tolerance) << "step " << k + 1;
}

TEST(Sgd, PlainStepsAreXMinusLrTimesGradient) {
  // x ← x − 0.1·2x = 0.8x.
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.1});
  expect_trajectory(steps_on_square(x, sgd, 3), {0.8, 0.64, 0.512});
}

TEST(Sgd, MomentumBufferStartsAsTheGradientThenIsDamped) {
  // μ = 0.9, τ = 0.1, γ = 0.1.
  // 1: g = 2, b = g = 2 (no dampening on the first step), x = 1 − 0.2 = 0.8
  // 2: g = 1.6, b = 0.9·2 + 0.9·1.6 = 3.24, x = 0.8 − 0.324 = 0.476
  // 3: g = 0.952, b = 0.9·3.24 + 0.9·0.952 = 3.7728, x = 0.476 − 0.37728 = 0.09872
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1});
  expect_trajectory(steps_on_square(x, sgd, 3), {0.8, 0.476, 0.09872});
}

TEST(Sgd, NesterovAddsMomentumTimesTheNewBuffer) {
  // μ = 0.9, γ = 0.1.
  // 1: g = 2, b = 2, step g + μb = 3.8, x = 1 − 0.38 = 0.62
  // 2: g = 1.24, b = 0.9·2 + 1.24 = 3.04, step 1.24 + 2.736 = 3.976, x = 0.62 − 0.3976 = 0.2224
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  expect_trajectory(steps_on_square(x, sgd, 2), {0.62, 0.2224});
}

TEST(Sgd, WeightDecayAddsLambdaX) {
  // g = 2x + 0.5x = 2.5x, x ← x − 0.25x = 0.75x.
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.1, .weight_decay = 0.5});
  expect_trajectory(steps_on_square(x, sgd, 2), {0.75, 0.5625});
}

TEST(Sgd, MaximizeClimbs) {
  // x ← x + 0.1·2x = 1.2x.
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.1, .maximize = true});
  expect_trajectory(steps_on_square(x, sgd, 2), {1.2, 1.44});
}

TEST(Sgd, OneStepOnTheTwoVariableExample) {
  // f = x1² + x2² + |x1 + x2| at (1, 1): ∇f = (2 + 1, 2 + 1) = (3, 3); lr 0.001 → 0.997.
  tg::Parameter x(Eigen::VectorXd::Ones(2));
  opt::Sgd sgd({x}, {.lr = 0.001});
  const opt::MinimizeResult r = opt::minimize(
      [](std::span<const tg::Var> v) { return v[0] * v[0] + v[1] * v[1] + tg::abs(v[0] + v[1]); }, x, sgd,
      {.max_steps = 1, .gradient_norm = 0});
  EXPECT_EQ(r.steps, 1);
  EXPECT_NEAR(x.value()(0), 0.997, 1e-15);
  EXPECT_NEAR(x.value()(1), 0.997, 1e-15);
}

TEST(Adam, FirstStepsFollowTheBiasCorrectedRule) {
  // γ = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8. Step t:
  //   m ← m + (1 − β1)(g − m),  v ← β2 v + (1 − β2) g²,
  //   x ← x − γ/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
  // 1: g = 2, m = 0.2, v = 0.004; √v/√0.001 = 2, x1 = 1 − (0.1/0.1)·0.2/(2 + 1e-8).
  const double x1 = 1 - 0.2 / (2 + 1e-8);
  // 2: g = 2·x1, m = 0.2 + 0.1(g − 0.2), v = 0.999·0.004 + 0.001·g²,
  //    x2 = x1 − (0.1/0.19)·m / (√v/√0.001999 + 1e-8).
  const double g2 = 2 * x1, m2 = 0.2 + 0.1 * (g2 - 0.2), v2 = 0.999 * 0.004 + 0.001 * g2 * g2;
  const double x2 = x1 - (0.1 / 0.19) * m2 / (std::sqrt(v2) / std::sqrt(1 - 0.999 * 0.999) + 1e-8);
  tg::Parameter x(1.0);
  opt::Adam adam({x}, {.lr = 0.1});
  expect_trajectory(steps_on_square(x, adam, 2), {x1, x2});
}

TEST(Adam, AmsgradDividesByTheLargestSecondMoment) {
  // With a gradient that shrinks, v falls below its maximum and amsgrad keeps the max.
  // Gradients given directly: 3, then 1. γ = 0.1, β1 = 0.9, β2 = 0.5, ε = 0.
  // 1: m = 0.3, v = 4.5, v̂ = 4.5; x1 = 1 − (0.1/0.1)·0.3/(√4.5/√0.5) = 1 − 0.3/3 = 0.9
  // 2: m = 0.3 + 0.1(1 − 0.3) = 0.37, v = 2.25 + 0.5 = 2.75, v̂ = 4.5;
  //    x2 = 0.9 − (0.1/0.19)·0.37/(√4.5/√0.75)
  tg::Parameter x(1.0);
  opt::Adam adam({x}, {.lr = 0.1, .beta2 = 0.5, .eps = 0, .amsgrad = true});
  x.grad()(0) = 3;
  adam.step();
  EXPECT_NEAR(x.value()(0), 0.9, tolerance);
  x.grad()(0) = 1;
  adam.step();
  EXPECT_NEAR(x.value()(0), 0.9 - (0.1 / 0.19) * 0.37 / (std::sqrt(4.5) / std::sqrt(0.75)), tolerance);
}

TEST(AdamW, DecaysTheWeightBeforeTheAdamStep) {
  // γ = 0.1, λ = 0.5: x ← x(1 − 0.05) = 0.95, then Adam with g = 2 (the gradient at the
  // old x): x1 = 0.95 − 0.2/(2 + 1e-8).
  tg::Parameter x(1.0);
  opt::AdamW adamw({x}, {.lr = 0.1, .weight_decay = 0.5});
  expect_trajectory(steps_on_square(x, adamw, 1), {0.95 - 0.2 / (2 + 1e-8)});
  EXPECT_EQ(opt::AdamWOptions{}.weight_decay, 1e-2);  // PyTorch's AdamW default
}

TEST(RmsProp, PlainAndCentered) {
  // γ = 0.01, α = 0.99, ε = 1e-8.  v ← αv + (1 − α)g².
  // Plain, step 1: v = 0.01·4 = 0.04, x1 = 1 − 0.01·2/(0.2 + 1e-8).
  {
    tg::Parameter x(1.0);
    opt::RmsProp rms({x}, {});
    expect_trajectory(steps_on_square(x, rms, 1), {1 - 0.02 / (0.2 + 1e-8)});
  }
  // Centered, step 1: ḡ = 0.01·2 = 0.02, d = √(0.04 − 0.0004) + 1e-8,
  // x1 = 1 − 0.02/d.
  {
    tg::Parameter x(1.0);
    opt::RmsProp rms({x}, {.centered = true});
    expect_trajectory(steps_on_square(x, rms, 1), {1 - 0.02 / (std::sqrt(0.0396) + 1e-8)});
  }
}

TEST(RmsProp, MomentumAccumulatesTheScaledGradient) {
  // γ = 0.01, α = 0.99, μ = 0.9, ε = 1e-8.
  // 1: v = 0.04, b = 2/(0.2 + 1e-8), x1 = 1 − 0.01·b
  // 2: g = 2x1, v = 0.99·0.04 + 0.01g², b = 0.9b + g/(√v + 1e-8), x2 = x1 − 0.01·b
  const double b1 = 2 / (0.2 + 1e-8), x1 = 1 - 0.01 * b1;
  const double g2 = 2 * x1, v2 = 0.99 * 0.04 + 0.01 * g2 * g2, b2 = 0.9 * b1 + g2 / (std::sqrt(v2) + 1e-8);
  tg::Parameter x(1.0);
  opt::RmsProp rms({x}, {.momentum = 0.9});
  expect_trajectory(steps_on_square(x, rms, 2), {x1, x1 - 0.01 * b2});
}

TEST(Adagrad, LearningRateDecaysAndTheSumStartsAtTheInitialValue) {
  // γ = 0.1, η = 0.5, s₀ = 1, ε = 1e-10.  γ_t = γ/(1 + (t − 1)η).
  // 1: s = 1 + 4 = 5, x1 = 1 − 0.1·2/(√5 + 1e-10)
  // 2: g = 2x1, s = 5 + g², x2 = x1 − (0.1/1.5)·g/(√s + 1e-10)
  const double x1 = 1 - 0.2 / (std::sqrt(5.0) + 1e-10);
  const double g2 = 2 * x1, x2 = x1 - (0.1 / 1.5) * g2 / (std::sqrt(5 + g2 * g2) + 1e-10);
  tg::Parameter x(1.0);
  opt::Adagrad adagrad({x}, {.lr = 0.1, .lr_decay = 0.5, .initial_accumulator_value = 1});
  expect_trajectory(steps_on_square(x, adagrad, 2), {x1, x2});
}

TEST(Optimizers, FloatParametersStepInFloat) {
  // SGD on a float parameter: 0.8 in float arithmetic.
  tg::FloatParameter x(1.0f);
  opt::Sgd sgd({x}, {.lr = 0.1});
  x.grad()(0) = 2;
  sgd.step();
  EXPECT_EQ(x.value()(0), 1.0f - 0.1f * 2.0f);
}

TEST(Optimizers, BlockedKernelsMoveEveryEntryAsIfAlone) {
  expect_entrywise<opt::Sgd>(
      opt::SgdOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  expect_entrywise<opt::Adam>(opt::AdamOptions{.lr = 0.1, .weight_decay = 0.1, .amsgrad = true});
  expect_entrywise<opt::AdamW>(opt::AdamWOptions{.lr = 0.1});
  expect_entrywise<opt::RmsProp>(opt::RmsPropOptions{.momentum = 0.5, .centered = true});
  expect_entrywise<opt::Adagrad>(opt::AdagradOptions{.lr_decay = 0.1, .initial_accumulator_value = 0.2});
}

TEST(Optimizers, GroupsKeepTheirOwnHyperparameters) {
  tg::Parameter a(1.0), b(1.0);
  opt::Sgd sgd({a}, {.lr = 0.1});
  sgd.add_param_group({b}, {.lr = 0.5});
  a.grad()(0) = 1, b.grad()(0) = 1;
  sgd.step();
  EXPECT_DOUBLE_EQ(a.value()(0), 0.9);
  EXPECT_DOUBLE_EQ(b.value()(0), 0.5);
  EXPECT_EQ(sgd.group_count(), 2u);
}

TEST(Optimizers, InvalidHyperparametersNameTheirValue) {
  tg::Parameter x(1.0);
  expect_error([&] { opt::Sgd({x}, {.lr = -0.1}); }, "lr = -0.1");
  expect_error([&] { opt::Sgd({x}, {.lr = 0.1, .nesterov = true}); },
               "momentum = 0 must be > 0 with nesterov");
  expect_error([&] { opt::Sgd({x}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .nesterov = true}); },
               "dampening = 0.5");
  expect_error([&] { opt::Adam({x}, {.beta1 = 1.0}); }, "beta1 = 1 is outside [0, 1)");
  expect_error([&] { opt::Adam({x}, {.beta2 = -0.5}); }, "beta2 = -0.5");
  expect_error([&] { opt::AdamW({x}, {.eps = -1}); }, "eps = -1");
  expect_error([&] { opt::RmsProp({x}, {.momentum = -1}); }, "momentum = -1");
  expect_error([&] { opt::Adagrad({x}, {.lr_decay = -1}); }, "lr_decay = -1");
  expect_error([&] { opt::Lbfgs({x}, {.history_size = 0}); }, "history_size = 0");
  opt::Sgd sgd({x}, {.lr = 0.1});
  expect_error([&] { sgd.set_learning_rate(0, -1); }, "lr = -1");
  opt::Lbfgs lbfgs({x});
  expect_error([&] { lbfgs.step(); }, "step(closure)");
}

}  // namespace
