// minimize --subject-to as a user runs it: constraints and bounds written as text, solved
// by IPOPT, the optimum and its multipliers against values derived by hand in the
// comments; an infeasible problem exits 1, bad input exits 2 naming what is wrong.
// A build without IPOPT refuses --subject-to with exit code 2, which is what is tested there.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "run_cli.hpp"

using namespace cli_run;

namespace {

using ConstrainedCli = ScratchFolderTest;

// "name = value" lines of an --out file.
std::map<std::string, double> read_coordinates(const std::string& path) {
  std::istringstream in(slurp(path));
  std::map<std::string, double> out;
  std::string name, equals;
  double value = 0;
  while (in >> name >> equals >> value) out[name] = value;
  return out;
}

// The number after `prefix` on the line of `text` that starts with it (NaN when no line does).
double value_on_line(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size()));
  return std::nan("");
}

// Whether `text` has `line` as one of its lines, whole.
bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

#if TAPEGRAD_CLI_WITH_IPOPT

// min (x−2)² + (y−1)² on the unit disc: (2, 1)/√5, f* = (√5 − 1)², and from
// 2(x − 2) + 2λx = 0 the multiplier λ = √5 − 1.
TEST_F(ConstrainedCli, AQuadraticOnADisc) {
  const Outcome r = tapegrad(
      {"minimize", "(x-2)^2 + (y-1)^2", "--subject-to", "x^2 + y^2 <= 1", "--from", "x=0,y=0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  const double s5 = std::sqrt(5.0);
  EXPECT_NEAR(j["x"]["x"].get<double>(), 2 / s5, 1e-7);
  EXPECT_NEAR(j["x"]["y"].get<double>(), 1 / s5, 1e-7);
  EXPECT_NEAR(j["f"].get<double>(), (s5 - 1) * (s5 - 1), 1e-7);
  EXPECT_EQ(j["status"], "optimal");
  EXPECT_TRUE(j["optimal"].get<bool>());
  ASSERT_EQ(j["multipliers"].size(), 1u);
  EXPECT_EQ(j["multipliers"][0]["constraint"], "x^2 + y^2 <= 1");
  EXPECT_NEAR(j["multipliers"][0]["multiplier"].get<double>(), s5 - 1, 1e-6);
}

// min x² + y² with x + y = 1: (½, ½), and 2·½ + λ = 0 gives λ = −1. The constraint written
// with its sides the other way round and from a file.
TEST_F(ConstrainedCli, AnEqualityFromAFile) {
  const std::string constraints = file("c.txt", "1 = x + y\n");
  const Outcome r =
      tapegrad({"minimize", "x^2 + y^2", "--subject-to", "@" + constraints, "--from", "x=3,y=-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("x = 0.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status: optimal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("multiplier of 1 = x + y: 1"), std::string::npos) << r.out;  // of 1 − (x + y): +1
  // The numbers themselves (17 digits are printed: "x = 0.5" above would also match 0.51).
  EXPECT_NEAR(value_on_line(r.out, "x = "), 0.5, 1e-7) << r.out;
  EXPECT_NEAR(value_on_line(r.out, "y = "), 0.5, 1e-7) << r.out;
  EXPECT_TRUE(has_line(r.out, "status: optimal")) << r.out;
  EXPECT_NEAR(value_on_line(r.out, "multiplier of 1 = x + y: "), 1, 1e-6) << r.out;
}

// Bounds are bounds: min (x−3)² + (y−½)² with x ≤ 1 and 0 ≤ y ≤ 1 ends at (1, ½) with no
// constraint function; a whole vector bounded at once: min Σ (uᵢ + 1)² with u ≥ 0 is u = 0.
TEST_F(ConstrainedCli, SingleVariableConstraintsBecomeBounds) {
  Outcome r = tapegrad({"minimize", "(x-3)^2 + (y-0.5)^2", "--subject-to", "x <= 1; 0 <= y; y <= 1", "--from",
                        "x=0.5,y=0.5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = json_of(r);
  EXPECT_NEAR(j["x"]["x"].get<double>(), 1, 1e-7);
  EXPECT_NEAR(j["x"]["y"].get<double>(), 0.5, 1e-7);
  EXPECT_TRUE(j["multipliers"].empty());

  const std::string out = path("u.txt");
  r = tapegrad({"minimize", "sum(i = 0..len(u)-1: (u[i] + 1)^2)", "--subject-to", "u >= 0", "--dim", "u=50",
                "--from", "u=1", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::map<std::string, double> u = read_coordinates(out);
  ASSERT_EQ(u.size(), 50u);
  for (const auto& [name, value] : u) EXPECT_NEAR(value, 0, 1e-7) << name;
}

// x² + y² ≤ 1 and x + y ≥ 3 cannot both hold: exit 1, saying so.
TEST_F(ConstrainedCli, AnInfeasibleProblemExitsOne) {
  const Outcome r = tapegrad(
      {"minimize", "x^2 + y", "--subject-to", "x^2 + y^2 <= 1; x + y >= 3", "--from", "x=0.3,y=0.2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("infeasible"), std::string::npos) << r.err;
}

TEST_F(ConstrainedCli, BadConstraintsAreRefusedWhereTheyStand) {
  const auto minimize = [](const std::string& constraints, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"minimize", "x^2 + y^2", "--subject-to", constraints, "--from", "x=1,y=1"};
    args.insert(args.end(), more.begin(), more.end());
    return tapegrad(args);
  };
  expect_usage_error(minimize("x + y"), "a constraint needs a relation");
  expect_usage_error(minimize("x + y == 1"), "'==' is not a relation here");
  expect_usage_error(minimize("x + y < 1"), "strict '<'");
  expect_usage_error(minimize("x + y =< 1"), "write '<='");
  expect_usage_error(minimize("x <= 1 <= y"), "more than one relation");
  expect_usage_error(minimize("x >= 2; x <= 1"), "cross");
  expect_usage_error(minimize("z >= 0"), "neither the expression nor a constraint uses");
  expect_usage_error(minimize("x + y <= 1", {"--ipopt", "no_such=1"}), "no option named 'no_such'");
  expect_usage_error(minimize("x + y <= 1", {"--optimizer", "adam"}), "does not apply with --subject-to");
  expect_usage_error(minimize("x + (y <= 1"), "column");
  expect_usage_error(minimize(";;"), "no constraints");
  // Given but empty is no constraints too, not an unconstrained run.
  expect_usage_error(minimize(""), "no constraints");
  expect_usage_error(minimize("  "), "no constraints");
  // A side's error points into the whole text: y at column 9, the '*' at column 13, log at
  // column 14 (a constant side whose value is not finite).
  expect_usage_error(minimize("x >= 0; y[3] <= 1"), "y is not a vector");
  expect_usage_error(minimize("x >= 0; y[3] <= 1"), "(column 9)");
  expect_usage_error(minimize("x >= 0; x + * y <= 1"), "(column 13)");
  expect_usage_error(minimize("x >= 0; x <= log(0)"), "(column 14)");
  expect_usage_error(minimize("x >= 0; log(0) <= y"), "(column 9)");
}

// IPOPT's log goes to stdout, which --json keeps for the JSON alone.
TEST_F(ConstrainedCli, TraceWithJsonIsRefused) {
  const Outcome r = tapegrad(
      {"minimize", "x^2 + y^2", "--subject-to", "x + y >= 1", "--from", "x=1,y=1", "--trace", "--json"});
  expect_json_usage_error(r, "--ipopt output_file=FILE");
  // Without --json the log is the point of --trace.
  const Outcome traced =
      tapegrad({"minimize", "x^2 + y^2", "--subject-to", "x + y >= 1", "--from", "x=1,y=1", "--trace"});
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  EXPECT_NE(traced.out.find("iter"), std::string::npos) << traced.out;
  EXPECT_NEAR(value_on_line(traced.out, "x = "), 0.5, 1e-7) << traced.out;
}

#else

TEST(ConstrainedCli, WithoutIpoptSubjectToIsRefused) {
  expect_usage_error(tapegrad({"minimize", "x^2", "--subject-to", "x >= 1", "--from", "x=2"}), "needs IPOPT");
}

#endif
