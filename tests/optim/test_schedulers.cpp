// The learning-rate schedulers against PyTorch's formulas worked by hand: the rate
// after each step, including what the constructor sets (PyTorch's initial step).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

// The learning rate after construction (index 0) and after each of `steps` steps.
template <class Scheduler>
std::vector<double> rates(opt::Optimizer& optimizer, Scheduler& scheduler, int steps) {
  std::vector<double> lr = {optimizer.learning_rate(0)};
  for (int k = 0; k < steps; ++k) {
    scheduler.step();
    lr.push_back(optimizer.learning_rate(0));
  }
  return lr;
}

void expect_rates(const std::vector<double>& got, const std::vector<double>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], expected[k], 1e-15) << "after step " << k;
}

TEST(MultiStepLr, MultipliesByGammaAtEachMilestoneCountingRepeats) {
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 1.0});
  opt::MultiStepLr scheduler(sgd, {2, 4, 4}, 0.5);
  expect_rates(rates(sgd, scheduler, 5), {1, 1, 0.5, 0.5, 0.125, 0.125});
}

TEST(LambdaLr, IsTheBaseRateTimesTheFunctionFromEpochZero) {
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.6});
  opt::LambdaLr scheduler(sgd, [](long epoch) { return 1.0 / static_cast<double>(epoch + 2); });
  expect_rates(rates(sgd, scheduler, 2), {0.3, 0.2, 0.15});
}

TEST(LinearLr, WarmsUpLinearlyThenHolds) {
  // lr₀ = 0.4, from 0.25·lr₀ to lr₀ over 3 epochs: 0.1, 0.2, 0.3, 0.4, then 0.4.
  tg::Parameter x(1.0);
  opt::Adam adam({x}, {.lr = 0.4});
  opt::LinearLr scheduler(adam, 0.25, 1.0, 3);
  const std::vector<double> lr = rates(adam, scheduler, 5);
  const std::vector<double> expected = {0.1, 0.2, 0.3, 0.4, 0.4, 0.4};
  for (std::size_t k = 0; k < lr.size(); ++k) EXPECT_NEAR(lr[k], expected[k], 1e-15) << k;
}

TEST(OneCycleLr, RisesThenAnnealsAndCyclesMomentumTheOtherWay) {
  // max_lr 1, 10 steps, 30 % rising: start 1/25 = 0.04, floor 0.04/1e4 = 4e-6.
  // Phase 1 ends at step 0.3·10 − 1 = 2, phase 2 at 9. Cosine annealing:
  // step 1 is half-way up: 1 + (0.04 − 1)/2·(cos(π/2) + 1) = 0.52.
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 0.01, .momentum = 0.9});
  opt::OneCycleLr scheduler(sgd, {.max_lr = 1.0, .total_steps = 10});
  const double pi = std::numbers::pi;
  const auto cos_anneal = [&](double start, double end, double pct) {
    return end + (start - end) / 2 * (std::cos(pi * pct) + 1);
  };
  EXPECT_NEAR(sgd.learning_rate(0), 0.04, 1e-15);
  EXPECT_NEAR(*sgd.hyperparameter(0, "momentum"), 0.95, 1e-15);
  const std::vector<double> lr = rates(sgd, scheduler, 10);
  EXPECT_NEAR(lr[1], 0.52, 1e-15);
  EXPECT_NEAR(lr[2], 1.0, 1e-15);
  EXPECT_NEAR(lr[3], cos_anneal(1.0, 4e-6, 1.0 / 7), 1e-15);
  EXPECT_NEAR(lr[9], 4e-6, 1e-15);
  EXPECT_NEAR(lr[10], cos_anneal(1.0, 4e-6, 8.0 / 7), 1e-15);  // PyTorch allows step total_steps
  EXPECT_NEAR(*sgd.hyperparameter(0, "momentum"), cos_anneal(0.85, 0.95, 8.0 / 7), 1e-15);
  EXPECT_THROW(scheduler.step(), tg::Error);
}

TEST(OneCycleLr, LinearThreePhaseCyclesAdamsBeta1) {
  // 20 steps, 25 %: up until step 4, back down until step 8 (2·0.25·20 − 2), then to the floor at 19.
  tg::Parameter x(1.0);
  opt::Adam adam({x});
  opt::OneCycleLr scheduler(adam, {.max_lr = 0.5,
                                   .total_steps = 20,
                                   .pct_start = 0.25,
                                   .anneal_strategy = opt::Anneal::Linear,
                                   .div_factor = 10,
                                   .final_div_factor = 100,
                                   .three_phase = true});
  const std::vector<double> lr = rates(adam, scheduler, 19);
  EXPECT_NEAR(lr[0], 0.05, 1e-15);
  EXPECT_NEAR(lr[2], 0.05 + 0.45 * 0.5, 1e-15);
  EXPECT_NEAR(lr[4], 0.5, 1e-15);
  EXPECT_NEAR(lr[6], 0.5 - 0.45 * 0.5, 1e-15);
  EXPECT_NEAR(lr[8], 0.05, 1e-15);
  EXPECT_NEAR(lr[19], 0.0005, 1e-15);
  EXPECT_NEAR(*adam.hyperparameter(0, "beta1"), 0.95, 1e-15);
}

TEST(OneCycleLr, CyclingMomentumNeedsAnOptimizerWithOne) {
  tg::Parameter x(1.0);
  opt::Adagrad adagrad({x});
  EXPECT_THROW(opt::OneCycleLr(adagrad, {}), tg::Error);
  opt::OneCycleLr without(adagrad, {.max_lr = 0.2, .cycle_momentum = false});
  EXPECT_NEAR(adagrad.learning_rate(0), 0.2 / 25, 1e-15);
}

TEST(ChainedScheduler, StepsEachInOrderOnTheRateTheOneBeforeLeft) {
  // StepLr halves every 2 epochs, ExponentialLr multiplies by 0.9 every epoch.
  tg::Parameter x(1.0);
  opt::Sgd sgd({x}, {.lr = 1.0});
  opt::StepLr step(sgd, 2, 0.5);
  opt::ExponentialLr exponential(sgd, 0.9);
  opt::ChainedScheduler chained({&step, &exponential});
  expect_rates(rates(sgd, chained, 3), {1, 0.9, 0.405, 0.3645});
}

}  // namespace
