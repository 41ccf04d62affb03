// `tapegrad minimize --optimizer trust-ncg` as a user runs it: Rosenbrock's minimum, its
// own flags (taken from TrustNewtonCgOptions' fields), the flags of other optimizers and
// values out of range refused as usage errors, the help text, and train, which computes no
// Hessian, not offering it. Expected values are derived in the comments.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "run_cli.hpp"

using namespace cli_run;

namespace {

const char* const trust_rosenbrock_text = "100*(y - x^2)^2 + (1 - x)^2";

TEST(TrustRegionCommand, ReachesRosenbrocksMinimum) {
  // The minimum is (1, 1), where H = [[802, −400], [−400, 200]] has smallest eigenvalue ≈ 0.4,
  // so |grad| ≤ 1e-10 puts x within 2.5e-10.
  const Outcome r = tapegrad({"minimize", trust_rosenbrock_text, "--from", "x=-1.2,y=1", "--optimizer",
                              "trust-ncg", "--tol-grad", "1e-10", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  EXPECT_NEAR(j["x"]["x"].get<double>(), 1, 1e-9);
  EXPECT_NEAR(j["x"]["y"].get<double>(), 1, 1e-9);
  EXPECT_EQ(j["stop_reason"], "gradient norm");
  EXPECT_LE(j["steps"].get<long>(), 60);
}

TEST(TrustRegionCommand, TakesItsOwnFlags) {
  // Every option is a flag; a small radius that may grow to 10, a lower eta, few CG iterations
  // and a tight forcing term still reach the minimum.
  const Outcome r =
      tapegrad({"minimize", trust_rosenbrock_text, "--from", "x=-1.2,y=1", "--optimizer", "trust-ncg",
                "--initial-trust-radius", "0.1", "--max-trust-radius", "10", "--eta", "0.1", "--max-cg-iter",
                "4", "--forcing", "0.01", "--steps", "200", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  EXPECT_NEAR(j["x"]["x"].get<double>(), 1, 1e-7);
  EXPECT_NEAR(j["x"]["y"].get<double>(), 1, 1e-7);
  EXPECT_EQ(j["stop_reason"], "gradient norm");
}

TEST(TrustRegionCommand, RefusesOtherOptimizersFlagsAndValuesOutOfRange) {
  const auto run = [](std::vector<std::string> flags) {
    std::vector<std::string> args = {"minimize",   trust_rosenbrock_text, "--from",
                                     "x=-1.2,y=1", "--optimizer",         "trust-ncg"};
    args.insert(args.end(), flags.begin(), flags.end());
    return tapegrad(args);
  };
  // Its step length is the trust radius: there is no learning rate, nor a line search.
  expect_usage_error(run({"--lr", "0.1"}), "--lr does not apply to trust-ncg");
  expect_usage_error(run({"--line-search", "backtracking"}), "--line-search does not apply to trust-ncg");
  expect_usage_error(run({"--momentum", "0.9"}), "--momentum does not apply to trust-ncg");
  // scipy's rules: 0 ≤ eta < ¼, 0 < Δ₀ < Δmax.
  expect_usage_error(run({"--eta", "0.25"}), "eta = 0.25 must be in [0, 0.25)");
  expect_usage_error(run({"--initial-trust-radius", "2000"}),
                     "initial_trust_radius = 2000 must be < max_trust_radius = 1000");
  expect_usage_error(run({"--max-cg-iter", "1.5"}), "--max-cg-iter: '1.5' is not a whole number");
  // And its flags do not apply to the others.
  expect_usage_error(tapegrad({"minimize", trust_rosenbrock_text, "--from", "x=-1.2,y=1", "--optimizer",
                               "newton-cg", "--max-trust-radius", "10"}),
                     "--max-trust-radius does not apply to newton-cg");
}

TEST(TrustRegionCommand, HelpNamesItAndItsFlags) {
  const Outcome help = tapegrad({"minimize", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("trust-ncg"), std::string::npos) << help.out;
  for (const char* flag : {"--initial-trust-radius", "--max-trust-radius", "--eta"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << " in " << help.out;
  // A flag two optimizers share names both.
  const std::size_t forcing = help.out.find("--forcing");
  ASSERT_NE(forcing, std::string::npos) << help.out;
  const std::string line = help.out.substr(forcing, help.out.find('\n', forcing) - forcing);
  EXPECT_NE(line.find("newton-cg, trust-ncg"), std::string::npos) << line;
}

TEST(TrustRegionCommand, TrainDoesNotOfferIt) {
  // train computes no Hessian, so trust-ncg is not among its optimizers, nor are its flags.
  const Outcome help = tapegrad({"train", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out.find("trust-ncg"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("--initial-trust-radius"), std::string::npos) << help.out;
  expect_usage_error(tapegrad({"train", "--data", "iris", "--optimizer", "trust-ncg", "--epochs", "1"}),
                     "--optimizer trust-ncg needs the Hessian of the loss, which train does not compute");
}

}  // namespace
