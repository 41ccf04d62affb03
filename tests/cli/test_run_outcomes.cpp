// Runs that fail say so: text, JSON and exit code agree for a diverging minimize, a step
// out of the domain, a derivative that is not finite, a root that is not one; and every
// number that sizes a resource is bounded, at 0, 1, its limit, limit + 1 and 10^9.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../support/sanitizer_build.hpp"
#include "run_cli.hpp"

namespace {

using cli_run::Outcome;
using cli_run::tapegrad;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RunOutcomes, ADivergingMinimizeFailsInTextJsonAndExitCode) {
  // f = x² + 10y², SGD lr 0.11: y ← −1.2y, f_k = 9·0.78^(2k) + 10·1.44^k passes
  // 19 + 10^4·19 at k = 28 (ln(19001.9)/ln(1.44) = 27.02), where the run stops.
  const std::vector<std::string> run = {"minimize", "x^2 + 10*y^2", "--from", "x=3,y=1", "--optimizer",
                                        "sgd",      "--lr",         "0.11",   "--steps", "400"};
  const Outcome text = tapegrad(run);
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_TRUE(has(text.out, "stopped by: diverged")) << text.out;
  EXPECT_TRUE(has(text.out, "steps = 28")) << text.out;
  EXPECT_TRUE(has(text.err, "diverged")) << text.err;
  std::vector<std::string> json_run = run;
  json_run.push_back("--json");
  const Outcome json = tapegrad(json_run);
  EXPECT_EQ(json.exit_code, 1);
  const nlohmann::json j = cli_run::json_of(json);
  EXPECT_EQ(j["stop_reason"], "diverged");
  EXPECT_EQ(j["steps"], 28);
}

TEST(RunOutcomes, AStepOutOfTheDomainSaysSoAndCountsTheStep) {
  const Outcome r = tapegrad({"minimize", "sqrt(x)", "--from", "x=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "left the domain of f")) << r.err;
  EXPECT_TRUE(has(r.err, "sqrt(-")) << r.err;
  EXPECT_FALSE(has(r.err, "unbounded below")) << r.err;
  EXPECT_TRUE(has(r.out, "steps = 1\n")) << r.out;
  EXPECT_TRUE(has(r.out, "x = 1\n")) << r.out;  // the last point inside the domain: the start
}

TEST(RunOutcomes, ADerivativeThatIsNotFiniteIsAnErrorNamingTheVariableAndTheOperation) {
  // d/dx sqrt(x) = 1/(2 sqrt(x)) is infinite at 0; so is d²/dx² x^1.5 = 0.75/sqrt(x).
  const Outcome grad = tapegrad({"grad", "sqrt(x) + y", "--at", "x=0,y=1"});
  EXPECT_EQ(grad.exit_code, 2);
  EXPECT_TRUE(grad.out.empty()) << grad.out;
  EXPECT_TRUE(has(grad.err, "df/dx is infinite at x = 0")) << grad.err;
  EXPECT_TRUE(has(grad.err, "sqrt")) << grad.err;
  const Outcome json = tapegrad({"grad", "sqrt(x)", "--at", "x=0", "--json"});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_FALSE(has(json.out, "null")) << json.out;
  EXPECT_EQ(tapegrad({"grad", "1/x", "--at", "x=0"}).exit_code, 2);  // the same rule as a value
  const Outcome hessian = tapegrad({"hessian", "x^1.5", "--at", "x=0"});
  EXPECT_EQ(hessian.exit_code, 2);
  EXPECT_TRUE(has(hessian.err, "d2f/dx dx is infinite")) << hessian.err;
  const Outcome start = tapegrad({"minimize", "sqrt(x)", "--from", "x=0"});
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_TRUE(has(start.err, "df/dx is infinite")) << start.err;
}

TEST(RunOutcomes, SolveFindsADoubleRootAndRefusesAnAsymptote) {
  // x² = 0: Newton halves x; seen twice, the rate 1/2 is a double root, and the doubled
  // step x − 2·x²/(2x) lands on 0 exactly.
  const Outcome double_root = tapegrad({"solve", "x^2 = 0", "--from", "x=1"});
  EXPECT_EQ(double_root.exit_code, 0) << double_root.err;
  EXPECT_TRUE(has(double_root.out, "x = 0\n")) << double_root.out;
  // (x − 1)³ = 0: the rate 2/3, a triple root, the tripled step lands on 1.
  const Outcome triple = tapegrad({"solve", "(x - 1)^3 = 0", "--from", "x=3"});
  EXPECT_EQ(triple.exit_code, 0) << triple.err;
  EXPECT_TRUE(has(triple.out, "x = 1\n")) << triple.out;
  // exp(x) = 0 has no root: its residual underflows to 0 near x = −746.
  const Outcome asymptote = tapegrad({"solve", "exp(x) = 0", "--from", "x=1", "--max-iter", "100000"});
  EXPECT_EQ(asymptote.exit_code, 1);
  EXPECT_TRUE(has(asymptote.err, "no root")) << asymptote.err;
  const Outcome system = tapegrad({"solve", "exp(x) = 0; y = 1", "--from", "x=1,y=0", "--max-iter", "2000"});
  EXPECT_EQ(system.exit_code, 1) << system.out;
}

// x in a solve's JSON output.
double solved_x(const Outcome& r) { return cli_run::json_of(r)["x"]["x"].get<double>(); }

Outcome solve_json(std::vector<std::string> args) {
  args.insert(args.begin(), "solve");
  args.push_back("--json");
  return tapegrad(args);
}

TEST(RunOutcomes, SolveRefusesAStartWhereTheResidualIsZeroOnlyByRoundingOrUnderflow) {
  // exp(−800) and exp(−100²) underflow to 0, with their slopes: no root is there.
  for (const auto& [equation, start] :
       {std::pair{"exp(x) = 0", "x=-800"}, std::pair{"exp(-x^2) = 0", "x=100"}}) {
    const Outcome r = tapegrad({"solve", equation, "--from", start});
    EXPECT_EQ(r.exit_code, 1) << equation << ": " << r.out;
    EXPECT_TRUE(has(r.err, "underflows to 0")) << r.err;
  }
  const Outcome system = tapegrad({"solve", "exp(x) = 0; y = 1", "--from", "x=-800,y=1"});
  EXPECT_EQ(system.exit_code, 1) << system.out;
  EXPECT_TRUE(has(system.err, "no root found")) << system.err;
  // tanh(30) rounds to 1: the sides agree to rounding, the true slope 1 − tanh²(30) is
  // about 3.5e-26, so the meeting point is undetermined. The best point is the start.
  const Outcome tanh = tapegrad({"solve", "tanh(x) = 1", "--from", "x=30"});
  EXPECT_EQ(tanh.exit_code, 1) << tanh.out;
  EXPECT_TRUE(has(tanh.out, "x = 30\n")) << tanh.out;
  EXPECT_TRUE(has(tanh.err, "no root found")) << tanh.err;
  // A start on a multiple root has no slope either, but its zero is isolated: x² and x³
  // are nonzero just off 0 on both sides and grow away from it. A root, found at once.
  for (const char* equation : {"x^2 = 0", "x^3 = 0"}) {
    const Outcome r = tapegrad({"solve", equation, "--from", "x=0"});
    EXPECT_EQ(r.exit_code, 0) << equation << ": " << r.err;
    EXPECT_TRUE(has(r.out, "x = 0\n")) << r.out;
  }
}

TEST(RunOutcomes, SolveFindsHighMultiplicityRootsThatUnderflowOnTheWay) {
  // x^m = 0 from 1: Newton's steps x/m shrink by (m − 1)/m; the m-fold model checks out
  // (at half the way to 0, x^m is 2^−m of itself) and the step x − m·x^m/(m·x^(m−1))
  // lands on 0 to within rounding of x ≈ 1, where x^m underflows to 0 exactly.
  for (const std::string m : {"100", "300", "400"}) {
    const Outcome r = solve_json({"x^" + m + " = 0", "--from", "x=1", "--max-iter", "100000"});
    ASSERT_EQ(r.exit_code, 0) << m << ": " << r.err;
    EXPECT_LE(std::abs(solved_x(r)), 1e-15) << m;
  }
}

TEST(RunOutcomes, SolveHasNoAbsoluteResidualToleranceToHideBehind) {
  // 1e-10·(x² − 2) is below 1e-12 within 0.005 of √2, but only √2 is the root.
  const Outcome scaled = solve_json({"1e-10*(x^2 - 2) = 0", "--from", "x=1"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  EXPECT_NEAR(solved_x(scaled), std::sqrt(2.0), 1e-12);
  // x² = 1e-13: the root is √1e-13 = √10·1e-7, not the 8e-13 where |x² − 1e-13| < 1e-12.
  const Outcome small = solve_json({"x^2 = 1e-13", "--from", "x=1"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_NEAR(solved_x(small), 3.16227766016838e-7, 1e-12 * 3.16227766016838e-7);
  // No real roots: x² + 1e-20 ≥ 1e-20, 1e-13·(x² + 1) ≥ 1e-13; exp(−x²) and exp(−1/x²)
  // only approach 0 (and underflow to it near x = 27.3 and x = 0.0366).
  const std::vector<std::vector<std::string>> no_root = {
      {"x^2 = -1e-20", "--from", "x=1"},
      {"1e-13*(x^2 + 1) = 0", "--from", "x=3"},
      {"exp(-x^2) = 0", "--from", "x=0.9"},
      {"exp(-x^2) = 0", "--from", "x=0.9", "--max-iter", "100000"},
      {"exp(-1/x^2) = 0", "--from", "x=0.5", "--max-iter", "100000"}};
  for (const std::vector<std::string>& run : no_root) {
    const Outcome r = solve_json(run);
    EXPECT_EQ(r.exit_code, 1) << run[0] << " " << run.back() << ": " << r.out;
    EXPECT_EQ(cli_run::json_of(r)["converged"], false) << r.out;
  }
}

TEST(RunOutcomes, SolveCallsASignChangeAtAPoleAPole) {
  // 1/x = 0: Newton doubles x until 1/x² underflows, the search for a sign change then
  // finds one across 0, and the bracket closes on 0, where |1/x| grows without bound.
  const Outcome r = tapegrad({"solve", "1/x = 0", "--from", "x=1", "--max-iter", "100000"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(has(r.err, "pole")) << r.err;
}

TEST(RunOutcomes, SolveDoesNotJumpAcrossRootsFromFarAway) {
  // Far from its roots a degree-d polynomial looks like (x − c)^d, c the mean of its roots,
  // and Newton's steps shrink by (d − 1)/d as at a d-fold root; the multiplicity step
  // towards c crosses roots. Plain Newton from the left of x² − 4x (convex, roots 0 and 4)
  // rises monotonically to 0; from the right of x³ − x (roots −1, 0, 1) and of
  // (x − 5)(x + 5)x (roots −5, 0, 5), convex there, it falls monotonically to 1 and 5.
  const std::vector<std::pair<std::vector<std::string>, double>> runs = {
      {{"x^2 - 4*x = 0", "--from", "x=-1000"}, 0.0},
      {{"x^3 - x = 0", "--from", "x=1000"}, 1.0},
      {{"(x - 5)*(x + 5)*x = 0", "--from", "x=1e4"}, 5.0}};
  for (const auto& [run, root] : runs) {
    const Outcome r = solve_json(run);
    ASSERT_EQ(r.exit_code, 0) << run[0] << ": " << r.err;
    EXPECT_NEAR(solved_x(r), root, 1e-12) << run[0];
  }
}

TEST(RunOutcomes, ASingleEquationWithoutARootExits1WithTheBestPoint) {
  // x² + 1 = 0 from 1: Newton goes to 0, where the residual is 1 and the slope 0.
  const Outcome r = tapegrad({"solve", "x^2 + 1 = 0", "--from", "x=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.out, "x = 0\nresidual = 1\n")) << r.out;
  EXPECT_TRUE(has(r.err, "no root found")) << r.err;
  const Outcome json = tapegrad({"solve", "x^2 + 1 = 0", "--from", "x=1", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(cli_run::json_of(json)["converged"], false);
  EXPECT_EQ(cli_run::json_of(json)["residual"], 1.0);
}

TEST(RunOutcomes, LbfgsReportsIterationsAndEvaluations) {
  // One step is one iteration: --trace prints the start and one line per step.
  const Outcome r = tapegrad({"minimize", "100*(y - x^2)^2 + (1 - x)^2", "--from", "x=-1.5,y=2", "--trace"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  long lines = 0;
  for (char c : r.out) lines += c == '\n';
  const std::size_t at = r.out.find("steps = ");
  ASSERT_NE(at, std::string::npos);
  const long steps = std::stol(r.out.substr(at + 8));
  EXPECT_GT(steps, 20);  // more than one step of PyTorch's 20 iterations
  // trace: steps + 1 lines; then x, y, f, steps, evaluations, |grad|, stopped by.
  EXPECT_EQ(lines, steps + 1 + 7) << r.out;
  EXPECT_TRUE(has(r.out, "evaluations = ")) << r.out;
}

TEST(RunOutcomes, ALongVectorIsSummarizedAndWrittenWholeWithOut) {
  // ∂/∂x[i] Σx² = 2x[i] = 2 for 100 entries: a summary, and every line in --out.
  const Outcome summary = tapegrad({"grad", "sum(x^2)", "--dim", "x=100", "--at", "x=1"});
  EXPECT_EQ(summary.exit_code, 0);
  long lines = 0;
  for (char c : summary.out) lines += c == '\n';
  EXPECT_LE(lines, 41);
  EXPECT_TRUE(has(summary.out, "df/dx[99] = 2\n")) << summary.out;
  EXPECT_TRUE(has(summary.out, "--out")) << summary.out;
  const auto file = cli_run::fs::temp_directory_path() / "tapegrad-run-outcomes-gradient.txt";
  const Outcome all = tapegrad({"grad", "sum(x^2)", "--dim", "x=100", "--at", "x=1", "--out", file.string()});
  EXPECT_EQ(all.exit_code, 0);
  const std::string written = cli_run::slurp(file);
  long written_lines = 0;
  for (char c : written) written_lines += c == '\n';
  EXPECT_EQ(written_lines, 100);
  EXPECT_TRUE(has(written, "df/dx[57] = 2\n"));
  cli_run::fs::remove(file);
}

TEST(RunOutcomes, AListGivesTheDimension) {
  // ∂/∂x[i] Σx² = 2x[i]: 2, 4, 6 at [1, 2, 3], without --dim.
  const Outcome r = tapegrad({"grad", "sum(x^2)", "--at", "x=[1,2,3]"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "df/dx[0] = 2\ndf/dx[1] = 4\ndf/dx[2] = 6\n")) << r.out;
}

TEST(RunOutcomes, TheConstantEIsNamedWhenUnknownsAreCounted) {
  const Outcome r =
      tapegrad({"solve", "a + b + c + d + e = 1; a = 1; b = 2; c = 3; d = 4", "--from", "a=0,b=0,c=0,d=0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "5 equations in 4 unknowns")) << r.err;
  EXPECT_TRUE(has(r.err, "e is the constant")) << r.err;
  const Outcome one = tapegrad({"solve", "x = 1; x = 2", "--from", "x=0"});
  EXPECT_TRUE(has(one.err, "2 equations in 1 unknown:")) << one.err;
}

// Each sizing flag at 0, 1, its limit, limit + 1 and 10^9: inside runs, outside is a usage
// error naming the flag and the limit. Under the sanitizers, whose build runs this file
// too, the run at the limit itself (10^4 restarts, 100 timing samples: 17 of this test's
// 39 s there) is left to the release build.
void expect_sized(const std::vector<std::string>& before, const std::string& flag, const std::string& after,
                  long long low, long long limit, const std::string& limit_text) {
  for (const long long value : {0LL, 1LL, limit, limit + 1, 1000000000LL}) {
    if (built_under_sanitizer && value == limit) continue;
    std::vector<std::string> args = before;
    args.push_back(flag);
    args.push_back(std::to_string(value));
    if (!after.empty()) args.push_back(after);
    const Outcome r = tapegrad(args);
    if (value >= low && value <= limit) {
      EXPECT_NE(r.exit_code, 2) << flag << " " << value << ": " << r.err;
    } else {
      EXPECT_EQ(r.exit_code, 2) << flag << " " << value;
      EXPECT_TRUE(has(r.err, flag)) << r.err;
      EXPECT_TRUE(has(r.err, limit_text)) << r.err;
    }
  }
}

TEST(RunOutcomes, EverySizingNumberIsBoundedBeforeAnythingIsAllocated) {
  expect_sized({"minimize", "x^2", "--from", "x=1"}, "--steps", "", 0, 100000000, "10^8");
  expect_sized({"solve", "x = 1", "--from", "x=0"}, "--max-iter", "", 1, 100000000, "10^8");
  expect_sized({"minimize", "x^2", "--box", "-1,1"}, "--restarts", "", 1, 10000, "10^4");
  expect_sized({"cost", "x^2", "--at", "x=1"}, "--samples", "", 1, 100, "100");
  // --dim: each vector 1 to 10^6, and 10^7 entries together.
  for (const std::string n : {"0", "1000001", "1000000000"}) {
    const Outcome r = tapegrad({"grad", "x[0]", "--dim", "x=" + n, "--at", "x=1"});
    EXPECT_EQ(r.exit_code, 2) << n;
    EXPECT_TRUE(has(r.err, "--dim")) << r.err;
    EXPECT_TRUE(has(r.err, "10^6")) << r.err;
  }
  EXPECT_EQ(tapegrad({"grad", "x[0]", "--dim", "x=1", "--at", "x=1"}).exit_code, 0);
  std::string sum, dims, at;
  for (int v = 0; v < 11; ++v) {
    const std::string name = "v" + std::to_string(v);
    if (v < 10) {  // ten vectors of 10^6: the limit
      sum += (v > 0 ? " + " : "") + name + "[0]";
      dims += (v > 0 ? "," : "") + name + "=1000000";
      at += (v > 0 ? "," : "") + name + "=1";
    }
  }
  if (!built_under_sanitizer) {  // 10^7 entries: 16 s under the sanitizers
    const Outcome at_limit = tapegrad({"grad", sum, "--dim", dims, "--at", at});
    EXPECT_EQ(at_limit.exit_code, 0) << at_limit.err;
  }
  const Outcome over = tapegrad({"grad", sum + " + w[0]", "--dim", dims + ",w=1", "--at", at + ",w=1"});
  EXPECT_EQ(over.exit_code, 2);
  EXPECT_TRUE(has(over.err, "10^7")) << over.err;
}

}  // namespace
