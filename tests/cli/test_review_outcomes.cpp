// What minimize, grad and hessian say at the edges of a run: divergence is told before the
// step limit, restarts that diverge are failures and not minima, Levenberg–Marquardt
// counts its evaluations, a picture tells a step out of f's domain from divergence, a
// derivative that is not finite is explained by its kind, --out is written or refused
// in every mode, and --plot counts every run it would keep.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using cli_run::expect_usage_error;
using cli_run::json_of;
using cli_run::Outcome;
using cli_run::ScratchFolderTest;
using cli_run::slurp;
using cli_run::tapegrad;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ReviewOutcomes, DivergenceAtTheStepLimitIsToldAsDivergence) {
  // x² + 10y² by SGD with lr 0.11 diverges at step 28 (f_k − 19 first exceeds 10^4·19
  // there, ln(19001.9)/ln(1.44) = 27.02): with --steps 28 the step limit is met at the
  // same step, and the run failed all the same.
  const Outcome r = tapegrad({"minimize", "x^2 + 10*y^2", "--from", "x=3,y=1", "--optimizer", "sgd", "--lr",
                              "0.11", "--steps", "28"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.out, "stopped by: diverged")) << r.out;
}

TEST(ReviewOutcomes, RestartsThatAllDivergeFindNoMinimum) {
  // SGD with lr 0.11 multiplies y by 1 − 0.11·20 = −1.2 each step, from any start: all
  // three starts diverge, so none is a minimum.
  const std::vector<std::string> run = {"minimize", "x^2 + 10*y^2", "--optimizer", "sgd",
                                        "--lr",     "0.11",         "--restarts",  "3",
                                        "--box",    "-3,3",         "--seed",      "1"};
  const Outcome text = tapegrad(run);
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_TRUE(has(text.out, "0 distinct minima")) << text.out;
  EXPECT_TRUE(has(text.out, "3 starts failed")) << text.out;
  std::vector<std::string> json_run = run;
  json_run.push_back("--json");
  const Outcome json = tapegrad(json_run);
  EXPECT_EQ(json.exit_code, 1) << json.err;
  const auto j = json_of(json);
  EXPECT_TRUE(j["minima"].empty()) << json.out;
  EXPECT_EQ(j["failed_starts"], 3) << json.out;
}

TEST(ReviewOutcomes, LevenbergMarquardtCountsItsEvaluations) {
  // r = (x − 1, y − 2) from 0: J = I, every trial is taken (gain ratio 1) and μ falls by 3
  // a step from 10^-3, |g| going √5 → 2.2e-3 → 7.4e-7 → 8.3e-11 ≤ 1e-8: 3 steps. One
  // evaluation at the start, a trial and the point taken (with J) per step: 7.
  const Outcome r = tapegrad({"minimize", "--residuals", "x-1; y-2", "--from", "x=0,y=0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r)["steps"], 3);
  EXPECT_EQ(json_of(r)["evaluations"], 7);
}

class ReviewFiles : public ScratchFolderTest {};

TEST_F(ReviewFiles, APictureTellsAStepOutOfTheDomainFromDivergence) {
  // sqrt(x) from 1 by SGD with lr 0.5: x ← x − 0.25/√x falls 0.75, 0.46, 0.09 and then
  // below 0, where sqrt is NaN: the run left f's domain, it did not diverge.
  const std::string svg = path("a.svg");
  const Outcome r =
      tapegrad({"minimize", "sqrt(x)", "--from", "x=1", "--optimizer", "sgd", "--lr", "0.5", "--plot", svg});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string picture = slurp(svg);
  EXPECT_TRUE(has(picture, ">left f's domain<")) << picture.substr(0, 400);
  EXPECT_FALSE(has(picture, ">diverged<"));
}

TEST(ReviewOutcomes, ANanGradientIsExplainedAsInfinityTimesZero) {
  // d/dx sqrt(u) = 1/(2√u) is infinite at u = 0 while du/dx = 0 there (u = x², |x|):
  // the reverse sweep forms ∞·0 = NaN, which is no overflow.
  for (const std::string e : {"sqrt(x^2)", "abs(x)^0.5", "sqrt(abs(x))"}) {
    const Outcome r = tapegrad({"grad", e, "--at", "x=0"});
    EXPECT_EQ(r.exit_code, 2) << e;
    EXPECT_TRUE(has(r.err, "is NaN")) << r.err;
    EXPECT_TRUE(has(r.err, "infinity times 0")) << r.err;
    EXPECT_FALSE(has(r.err, "overflow")) << r.err;
  }
}

TEST(ReviewOutcomes, AnOverflowingSecondDerivativeIsNoPole) {
  // d²/dx² sin(1e200·x) = −1e400·sin(1e200·x): finite, but beyond the largest double.
  const Outcome overflow = tapegrad({"hessian", "sin(1e200*x)", "--at", "x=1"});
  EXPECT_EQ(overflow.exit_code, 2);
  EXPECT_TRUE(has(overflow.err, "overflows")) << overflow.err;
  EXPECT_FALSE(has(overflow.err, "pole")) << overflow.err;
  // d²/dx² x^1.5 = 0.75/√x: a pole at 0.
  const Outcome pole = tapegrad({"hessian", "x^1.5", "--at", "x=0"});
  EXPECT_EQ(pole.exit_code, 2);
  EXPECT_TRUE(has(pole.err, "pole")) << pole.err;
}

TEST_F(ReviewFiles, OutIsWrittenWithJson) {
  // ∇(x² + y) = (2x, 1) = (2, 1) at (1, 2); x² from 1 by L-BFGS ends at its minimum 0.
  const std::string gradient_file = path("g.txt");
  const Outcome g = tapegrad({"grad", "x^2 + y", "--at", "x=1,y=2", "--json", "--out", gradient_file});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(json_of(g)["gradient"]["x"], 2.0);
  EXPECT_EQ(slurp(gradient_file), "df/dx = 2\ndf/dy = 1\n");
  const std::string point_file = path("m.txt");
  const Outcome m = tapegrad({"minimize", "x^2", "--from", "x=1", "--json", "--out", point_file});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(slurp(point_file), "x = 0\n");
}

TEST_F(ReviewFiles, OutIsRefusedWithSeveralRatesAndCheckedBeforeTheRun) {
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "sgd", "--lr", "0.1,0.2",
                               "--out", path("m.txt")}),
                     "--out");
  EXPECT_FALSE(std::filesystem::exists(path("m.txt")));
  for (const std::string command : {"grad", "minimize"}) {
    const Outcome r = tapegrad(
        {command, "x^2", command == "grad" ? "--at" : "--from", "x=1", "--out", path("missing/out.txt")});
    expect_usage_error(r, "does not exist");
  }
}

TEST_F(ReviewFiles, PlotCountsEveryRateItKeeps) {
  // 98 coordinates and 49999 steps keep (49999 + 1)·(98 + 2) = 5·10^6 numbers a run:
  // one or two runs are within 10^7, three rates are 1.5·10^7, refused before the run.
  const Outcome r = tapegrad({"minimize", "sum(x^2)", "--dim", "x=98", "--from", "x=1", "--optimizer", "sgd",
                              "--lr", "0.1,0.2,0.3", "--steps", "49999", "--plot", path("p.svg")});
  expect_usage_error(r, "15000000");
  EXPECT_FALSE(std::filesystem::exists(path("p.svg")));
}

}  // namespace
