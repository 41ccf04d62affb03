// How minimize() and solve() end runs that do not succeed: one divergence rule, the point
// where f stopped being finite, evaluations counted once, L-BFGS one iteration per step,
// and roots that are asymptotes refused.
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

TEST(DivergenceRule, NeedsGrowthFarAboveTheStartAndThreeRisesInARow) {
  // f0 = 1, f1 = 0.5: the scale is max(|f0|, |f1 − f0|, f0 − f_min) = 1, so f diverges
  // once it has risen in three steps in a row and f − 1 > 10^4.
  opt::DivergenceWatch watch;
  EXPECT_FALSE(watch.add(1));
  EXPECT_FALSE(watch.add(0.5));
  EXPECT_FALSE(watch.add(2));      // one rise
  EXPECT_FALSE(watch.add(10000));  // two rises, 9999 above the start: not yet
  EXPECT_TRUE(watch.add(10002));   // three rises, 10001 above
  EXPECT_TRUE(opt::diverged(std::vector<double>{1, 0.5, NAN}));
  // Falling back after a rise is no divergence: f − f0 is far above, but not rising.
  EXPECT_FALSE(opt::diverged(std::vector<double>{1, 2, 1.5}));
  EXPECT_FALSE(opt::diverged(std::vector<double>{1, 20000, 19000}));
  // An overshoot far above the start that the next step repairs (L-BFGS without a line
  // search near a minimum) is none either: two rises, then a fall.
  EXPECT_FALSE(opt::diverged(std::vector<double>{1, 0.5, 3, 50000, 0.2, 0.1}));
}

TEST(Minimize, GradientDescentTooLargeAStepStopsAsDiverged) {
  // f = x² + 10y², SGD with lr 0.11: x ← 0.78x, y ← −1.2y, so f_k = 9·0.78^(2k) + 10·1.44^k.
  // From f0 = 19 (scale 19) it diverges at the first k with f_k − 19 > 190000:
  // 10·1.44^k > 190019 − 9·0.6084^k, k > ln(19001.9)/ln(1.44) = 27.02, so k = 28.
  const auto f = [](std::span<const tg::Var> x) { return x[0] * x[0] + 10.0 * x[1] * x[1]; };
  const std::vector<double> x0 = {3, 1};
  const opt::MinimizeResult r = opt::minimize(f, std::span<const double>(x0),
                                              [](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 0.11}); },
                                              {.max_steps = 400, .gradient_norm = 1e-8});
  EXPECT_EQ(r.reason, opt::StopReason::Diverged);
  EXPECT_EQ(r.steps, 28);
  EXPECT_NEAR(r.x[1], std::pow(-1.2, 28), 1e-9 * std::pow(1.2, 28));
  EXPECT_FALSE(opt::converged(r.reason));
  // One evaluation per step and the start: SGD evaluates nothing itself.
  EXPECT_EQ(r.evaluations, r.steps + 1);
}

TEST(Minimize, AStepOutOfTheDomainKeepsTheLastPointAndWhereItLeft) {
  // sqrt(x) from 1 with lr 4: x1 = 1 − 4·(1/2) = −1, outside sqrt's domain.
  const auto f = [](std::span<const tg::Var> x) { return tg::sqrt(x[0]); };
  const std::vector<double> x0 = {1};
  const opt::MinimizeResult r = opt::minimize(f, std::span<const double>(x0),
                                              [](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 4}); }, {});
  EXPECT_EQ(r.reason, opt::StopReason::NotFinite);
  EXPECT_EQ(r.steps, 1);  // the one update made, which left the domain
  ASSERT_EQ(r.x.size(), 1u);
  EXPECT_EQ(r.x[0], 1.0);
  ASSERT_EQ(r.not_finite_at.size(), 1u);
  EXPECT_EQ(r.not_finite_at[0], -1.0);
}

TEST(Minimize, LbfgsOneIterationPerStepFollowsTheSameIterates) {
  // L-BFGS's state carries over between step() calls, so with its tolerances at 0,
  // 20 steps of max_iter = 1 are the 20 iterations of one step of max_iter = 20.
  const auto banana = [](std::span<const tg::Var> x) {
    return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
  };
  for (const auto search : {opt::LineSearch::None, opt::LineSearch::StrongWolfe}) {
    const double lr = search == opt::LineSearch::None ? 1e-3 : 1;
    const std::vector<double> x0 = {-1.5, 2};
    const opt::StopWhen stop{.max_steps = 20, .gradient_norm = 0, .f_change = -1};
    const auto make = [&](int max_iter) {
      return [=](tg::Parameter& x) {
        return opt::Lbfgs({x}, {.lr = lr,
                                .max_iter = max_iter,
                                .max_eval = 1000,
                                .tolerance_grad = 0,
                                .tolerance_change = 0,
                                .line_search = search});
      };
    };
    const opt::MinimizeResult each = opt::minimize(banana, std::span<const double>(x0), make(1), stop);
    const opt::MinimizeResult one =
        opt::minimize(banana, std::span<const double>(x0), make(20),
                      opt::StopWhen{.max_steps = 1, .gradient_norm = 0, .f_change = -1});
    EXPECT_EQ(each.steps, 20);
    EXPECT_EQ(each.x, one.x);
    if (search == opt::LineSearch::None) {
      EXPECT_EQ(each.evaluations, 21);  // no evaluation made twice
    }
  }
}

TEST(Solve, ADoubleRootInASystemIsLocatedNotJustSmall) {
  // x² = 0, y = 1 from (1, 0): Newton halves x (x − x²/(2x) = x/2), and ‖F‖ = x² is
  // within 1e-12 from x = 2⁻²⁰ ≈ 9.5e-7 on. That is not yet located: J = diag(2x, 1)
  // is still regular and the correction x/2 is at most 1e-8 only from x = 2⁻²⁶ ≈ 1.5e-8.
  const auto f = [](std::span<const tg::Var> x) { return std::vector<tg::Var>{x[0] * x[0], x[1] - 1.0}; };
  const opt::SolveResult r = opt::solve(f, std::vector<double>{1, 0});
  EXPECT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_LE(std::abs(r.x[0]), 1e-7);
  EXPECT_NEAR(r.x[1], 1.0, 1e-15);
}

TEST(Solve, AStartWhereTheResidualUnderflowsIsNoRoot) {
  // exp(−800) underflows to 0, so F = (0, 0) at the start, but J = diag(0, 1) is
  // singular: nothing locates a root there.
  const auto f = [](std::span<const tg::Var> x) { return std::vector<tg::Var>{tg::exp(x[0]), x[1] - 1.0}; };
  const opt::SolveResult r = opt::solve(f, std::vector<double>{-800, 1});
  EXPECT_FALSE(r.converged()) << "x = " << r.x[0];
  EXPECT_EQ(r.reason, opt::SolveStop::Asymptote);
}

TEST(Solve, AnAsymptoteIsNoRoot) {
  // exp(x) = 0 has no root; Newton steps by −1 forever and the residual underflows.
  const auto f = [](std::span<const tg::Var> x) { return std::vector<tg::Var>{tg::exp(x[0]), x[1] - 1.0}; };
  for (const long iterations : {100L, 2000L}) {
    const opt::SolveResult r = opt::solve(f, std::vector<double>{1, 0}, {.max_iterations = iterations});
    EXPECT_FALSE(r.converged()) << "x = " << r.x[0] << " after " << r.iterations;
  }
}

TEST(DivergenceRule, AStartAtZeroIsMeasuredByTheFirstChangeItMakes) {
  // f0 = 0 and f1 = 0 give no scale yet: the first change that is not 0 sets it. From
  // {0, 0, 1e-300} the scale is 1e-300 and f − f0 = 1e-300 is not 10^4 times that; from
  // {0, 0, 1, 2, 5000} it is 1 and 5000 is not 10^4 either, while 10002 is.
  EXPECT_FALSE(opt::diverged(std::vector<double>{0, 0, 1e-300}));
  EXPECT_FALSE(opt::diverged(std::vector<double>{0, 0, 1, 2, 5000}));
  EXPECT_TRUE(opt::diverged(std::vector<double>{0, 0, 1, 2, 10002}));  // three rises
}

TEST(Minimize, ARunDivergingAtItsStepLimitStopsAsDiverged) {
  // The run of GradientDescentTooLargeAStepStopsAsDiverged diverges at step 28; with 28
  // steps allowed, the step limit is met at the same step, and divergence is what it says.
  const auto f = [](std::span<const tg::Var> x) { return x[0] * x[0] + 10.0 * x[1] * x[1]; };
  const std::vector<double> x0 = {3, 1};
  const opt::MinimizeResult r = opt::minimize(f, std::span<const double>(x0),
                                              [](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 0.11}); },
                                              {.max_steps = 28, .gradient_norm = 1e-8});
  EXPECT_EQ(r.reason, opt::StopReason::Diverged);
  EXPECT_EQ(r.steps, 28);
}

TEST(Restarts, DivergedStartsAreCountedAsFailedNotListedAsMinima) {
  // SGD with lr 0.11 on x² + 10y² multiplies y by 1 − 0.11·20 = −1.2 each step: every
  // start with y ≠ 0 diverges, so there is no minimum, and three failed starts.
  const auto f = [](std::span<const tg::Var> x) { return x[0] * x[0] + 10.0 * x[1] * x[1]; };
  const std::vector<double> lower = {-3, -3}, upper = {3, 3};
  const opt::RestartsResult r = opt::minimize_with_restarts(
      f, lower, upper, 3, 1, [](tg::Parameter& x) { return opt::Sgd({x}, {.lr = 0.11}); },
      {.max_steps = 1000});
  EXPECT_TRUE(r.minima.empty());
  EXPECT_EQ(r.failed, 3);
  EXPECT_EQ(r.best.reason, opt::StopReason::Diverged);
}

TEST(LeastSquares, EvaluationsCountEachResidualEvaluation) {
  // r = (x − 1, y − 2) from 0: J = I, so every trial step has gain ratio 1 and is taken,
  // and μ falls by 3 each step from 10^-3. |g| goes √5 → √5·μ/(1+μ) each step: 2.2e-3,
  // 7.4e-7, 8.3e-11 ≤ 1e-8 after 3 steps. One evaluation at the start, then per step one
  // trial and one evaluation with J at the point taken: 1 + 3·2 = 7.
  const auto r = [](std::span<const tg::Var> x) { return std::vector<tg::Var>{x[0] - 1.0, x[1] - 2.0}; };
  const opt::MinimizeResult result = opt::least_squares(r, std::vector<double>{0, 0});
  EXPECT_EQ(result.steps, 3);
  EXPECT_EQ(result.evaluations, 7);
}

}  // namespace
