// The second-order commands as a user runs them: hessian (plain and JSON), minimize with
// newton, newton-cg and lm on residuals, and solve for systems, with their exit codes.
// Expected values are derived by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"

using namespace cli_run;

TEST(HessianCommand, GivesValueGradientAndHessianOfRosenbrock) {
  // f = 100(y − x²)² + (1 − x)² at (−1.2, 1): f = 24.2, ∇f = (−215.6, −88),
  // H = [[1200x² − 400y + 2, −400x], [−400x, 200]] = [[1330, 480], [480, 200]].
  const Outcome json = tapegrad({"hessian", "100*(y - x^2)^2 + (1 - x)^2", "--at", "x=-1.2,y=1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json j = json_of(json);
  EXPECT_NEAR(j["value"].get<double>(), 24.2, 1e-12);
  EXPECT_NEAR(j["gradient"]["x"].get<double>(), -215.6, 1e-11);
  EXPECT_NEAR(j["gradient"]["y"].get<double>(), -88, 1e-12);
  EXPECT_NEAR(j["hessian"]["x"]["x"].get<double>(), 1330, 1e-10);
  EXPECT_NEAR(j["hessian"]["x"]["y"].get<double>(), 480, 1e-10);
  EXPECT_EQ(j["hessian"]["x"]["y"], j["hessian"]["y"]["x"]);
  EXPECT_NEAR(j["hessian"]["y"]["y"].get<double>(), 200, 1e-10);

  const Outcome plain = tapegrad({"hessian", "x*x*y", "--at", "x=3,y=2"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  // f = 18, ∇f = (2xy, x²) = (12, 9), H = [[2y, 2x], [2x, 0]] = [[4, 6], [6, 0]].
  EXPECT_EQ(plain.out,
            "f = 18\ndf/dx = 12\ndf/dy = 9\nd2f/dx dx = 4\nd2f/dx dy = 6\nd2f/dy dx = 6\nd2f/dy dy = 0\n");
}

// One rule for derivatives that are not finite, as for grad "1/x" at 0: the point is
// outside where f is (twice) differentiable, an input error (exit 2) naming the entry.
TEST(HessianCommand, APoleOfTheSecondDerivativeIsAnErrorNamingTheEntry) {
  // x^1.5 has second derivative 0.75/√x: infinite at 0.
  const Outcome r = tapegrad({"hessian", "x^1.5", "--at", "x=0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("d2f/dx dx is infinite at x = 0"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(MinimizeCommand, NewtonAndNewtonCgReachRosenbrocksMinimum) {
  for (const char* optimizer : {"newton", "newton-cg"}) {
    const Outcome r = tapegrad({"minimize", "100*(y - x^2)^2 + (1 - x)^2", "--from", "x=-1.2,y=1",
                                "--optimizer", optimizer, "--tol-grad", "1e-10", "--json"});
    ASSERT_EQ(r.exit_code, 0) << optimizer << ": " << r.err;
    const nlohmann::json j = json_of(r);
    EXPECT_NEAR(j["x"]["x"].get<double>(), 1, 1e-10) << optimizer;
    EXPECT_NEAR(j["x"]["y"].get<double>(), 1, 1e-10) << optimizer;
    EXPECT_LE(j["steps"].get<long>(), 30) << optimizer;
    EXPECT_EQ(j["stop_reason"], "gradient norm") << optimizer;
  }
  // Newton's own options are flags like every optimizer's.
  const Outcome backtracking = tapegrad({"minimize", "(x - 2)^2 + exp(x)", "--from", "x=0", "--optimizer",
                                         "newton", "--line-search", "backtracking", "--json"});
  ASSERT_EQ(backtracking.exit_code, 0) << backtracking.err;
  // The minimum solves 2(x − 2) + eˣ = 0.
  const double x = json_of(backtracking)["x"]["x"].get<double>();
  EXPECT_NEAR(2 * (x - 2) + std::exp(x), 0, 1e-9);
}

TEST(MinimizeCommand, ResidualsGoToLevenbergMarquardt) {
  // a·e^(b t) through (0, 2), (1, 2e), (2, 2e²) exactly: a = 2, b = 1.
  const Outcome r =
      tapegrad({"minimize", "--residuals", "a*exp(b*0) - 2; a*exp(b*1) - 2*exp(1); a*exp(b*2) - 2*exp(2)",
                "--from", "a=1,b=0", "--tol-grad", "1e-12", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  EXPECT_NEAR(j["x"]["a"].get<double>(), 2, 1e-10);
  EXPECT_NEAR(j["x"]["b"].get<double>(), 1, 1e-10);
  // lm without residuals is a usage error.
  const Outcome misuse = tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "lm"});
  EXPECT_EQ(misuse.exit_code, 2);
  EXPECT_NE(misuse.err.find("--residuals"), std::string::npos) << misuse.err;
}

TEST(SolveCommand, PowellsBadlyScaledSystem) {
  const Outcome r =
      tapegrad({"solve", "1e4*x*y = 1; exp(-x) + exp(-y) = 1.0001", "--from", "x=0,y=1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  const double x = j["x"]["x"].get<double>(), y = j["x"]["y"].get<double>();
  EXPECT_LE(std::abs(1e4 * x * y - 1), 1e-12);
  EXPECT_LE(std::abs(std::exp(-x) + std::exp(-y) - 1.0001), 1e-12);
  EXPECT_LE(j["residual"].get<double>(), 1e-12);
  EXPECT_GE(j["iterations"].get<long>(), 1);
  EXPECT_TRUE(j["method"].is_string());
}

TEST(SolveCommand, ASystemWithoutARootFailsWithTheBestPointAndExitCode1) {
  // x + y = 1 and x + y = 2 contradict; the least-squares point has x + y = 1.5.
  const Outcome r = tapegrad({"solve", "x + y = 1; x + y = 2", "--from", "x=0,y=0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("residual = 0.7071067811865"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("no root found"), std::string::npos) << r.err;
}

TEST(SolveCommand, MoreUnknownsThanEquationsIsAUsageError) {
  const Outcome r = tapegrad({"solve", "x + y + z = 1; x - y = 2", "--from", "x=0,y=0,z=0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("2 equations in 3 unknowns"), std::string::npos) << r.err;
  const Outcome missing = tapegrad({"solve", "x + y = 1; x - y = 2", "--from", "x=0"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--from: no value for the variable y"), std::string::npos) << missing.err;
}

TEST(TrainCommand, RefusesNewtonTypeOptimizers) {
  const Outcome r = tapegrad({"train", "--data", "iris", "--optimizer", "newton", "--epochs", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs the Hessian"), std::string::npos) << r.err;
}

TEST(MinimizeCommand, AResidualsSyntaxErrorPointsAtItsColumnInTheWholeText) {
  const Outcome r = tapegrad({"minimize", "--residuals", "a - 1; a +* 2", "--from", "a=0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(column 11)"), std::string::npos) << r.err;
  // A trailing ';' is no residual: the least-squares point of a = 1, a = 3 is a = 2,
  // where |grad| = |2a − 4| ≤ 1e-8 (the default --tol-grad) puts a within 5e-9.
  const Outcome trailing = tapegrad({"minimize", "--residuals", "a - 1; a - 3;", "--from", "a=0", "--json"});
  ASSERT_EQ(trailing.exit_code, 0) << trailing.err;
  EXPECT_NEAR(json_of(trailing)["x"]["a"].get<double>(), 2, 5e-9);
}

TEST(MinimizeCommand, AnOptimizerFlagGivenToLmIsRefused) {
  const Outcome r = tapegrad({"minimize", "--residuals", "a - 1", "--from", "a=0", "--lr", "0.1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--lr does not apply to lm"), std::string::npos) << r.err;
}
