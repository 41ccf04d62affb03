// The `tapegrad` program run as a user runs it: outputs, JSON, exit codes, and that
// bad input ends with one clear line and exit code 2, and writes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_cli.hpp"

namespace fs = std::filesystem;
using namespace cli_run;

TEST(Cli, GradPlainAndJson) {
  const Outcome plain = tapegrad({"grad", "x1*x1 + x2*x2 + abs(x1 + x2)", "--at", "x1=1,x2=1"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, "f = 4\ndf/dx1 = 3\ndf/dx2 = 3\n");
  const Outcome json = tapegrad({"grad", "x1*x1 + x2*x2 + abs(x1 + x2)", "--at", "x1=1,x2=1", "--json"});
  const nlohmann::json j = json_of(json);
  EXPECT_EQ(j["value"], 4.0);
  EXPECT_EQ(j["gradient"]["x1"], 3.0);
  EXPECT_EQ(j["gradient"]["x2"], 3.0);
  // 17 significant digits: 1/3 prints as the double it is.
  const Outcome third = tapegrad({"grad", "x/3", "--at", "x=1"});
  EXPECT_EQ(third.out, "f = 0.33333333333333331\ndf/dx = 0.33333333333333331\n");
}

TEST(Cli, MinimizeRosenbrockWithEveryOptimizer) {
  const Outcome lbfgs =
      tapegrad({"minimize", "100*(y - x^2)^2 + (1 - x)^2", "--from", "x=-1.5,y=2", "--json"});
  ASSERT_EQ(lbfgs.exit_code, 0) << lbfgs.err;
  const nlohmann::json j = json_of(lbfgs);
  EXPECT_NEAR(j["x"]["x"].get<double>(), 1, 1e-4);
  EXPECT_NEAR(j["x"]["y"].get<double>(), 1, 1e-4);
  EXPECT_LT(j["f"].get<double>(), 1e-8);
  EXPECT_TRUE(j.contains("steps") && j.contains("grad_norm"));
  // The same quadratic bowl (minimum at (1, -2)) by each first-order optimizer.
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.5", "--nesterov"},
           {"--optimizer", "adam", "--lr", "0.05"},
           {"--optimizer", "adamw", "--lr", "0.05", "--weight-decay", "0"},
           {"--optimizer", "rmsprop", "--lr", "0.01", "--centered"},
           {"--optimizer", "adagrad", "--lr", "0.5"},
           {"--optimizer", "adamax", "--lr", "0.05"},
           {"--optimizer", "nadam", "--lr", "0.05", "--momentum-decay", "0.004"},
           {"--optimizer", "radam", "--lr", "0.05"},
           {"--optimizer", "adadelta", "--lr", "5", "--rho", "0.9"},
           {"--optimizer", "rprop", "--lr", "0.05", "--eta-minus", "0.5", "--tol-f", "-1"},
           {"--optimizer", "asgd", "--lr", "0.1", "--t0", "100"}}) {
    std::vector<std::string> args = {
        "minimize", "(x - 1)^2 + 2*(y + 2)^2", "--from", "x=0,y=0", "--steps", "3000", "--json"};
    args.insert(args.end(), flags.begin(), flags.end());
    const Outcome r = tapegrad(args);
    ASSERT_EQ(r.exit_code, 0) << flags[1] << ": " << r.err;
    const nlohmann::json m = json_of(r);
    EXPECT_NEAR(m["x"]["x"].get<double>(), 1, 1e-3) << flags[1];
    EXPECT_NEAR(m["x"]["y"].get<double>(), -2, 1e-3) << flags[1];
  }
}

TEST(Cli, MinimizeTraceAndRestarts) {
  // One SGD step on x² from 1 with lr 0.1: x = 1 − 0.1·2 = 0.8, then 0.64.
  const Outcome trace = tapegrad(
      {"minimize", "x^2", "--from", "x=1", "--optimizer", "sgd", "--lr", "0.1", "--steps", "2", "--trace"});
  ASSERT_EQ(trace.exit_code, 0) << trace.err;
  std::istringstream lines(trace.out);
  std::vector<nlohmann::json> steps;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind('{', 0) == 0) steps.push_back(nlohmann::json::parse(line));  // then the summary
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0]["step"], 0);
  EXPECT_EQ(steps[0]["x"]["x"], 1.0);
  EXPECT_DOUBLE_EQ(steps[1]["x"]["x"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(steps[2]["f"].get<double>(), 0.64 * 0.64);
  // x⁴ − 3x² + x has two minima; the global one is near x = −1.30.
  const Outcome restarts = tapegrad({"minimize", "x^4 - 3*x^2 + x", "--from", "x=0", "--restarts", "12",
                                     "--seed", "3", "--box", "-2,2", "--json"});
  ASSERT_EQ(restarts.exit_code, 0) << restarts.err;
  const nlohmann::json r = json_of(restarts);
  ASSERT_EQ(r["minima"].size(), 2u);
  const double best = r["x"]["x"].get<double>();
  EXPECT_NEAR(4 * best * best * best - 6 * best + 1, 0, 1e-6);  // f′ = 0
  EXPECT_LT(best, 0);
}

TEST(Cli, SolveTheQuotedEquationToFullPrecision) {
  const Outcome r =
      tapegrad({"solve", "x^7 + x^3 - 25 + exp(x) + log(x + x^2) + 1/x = 0", "--from", "x=1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  const double x = j["x"]["x"].get<double>();
  EXPECT_NEAR(x, 1.478063, 1e-6);
  const double g = std::pow(x, 7) + std::pow(x, 3) - 25 + std::exp(x) + std::log(x + x * x) + 1 / x;
  EXPECT_LT(std::abs(g), 1e-12);
  EXPECT_LT(std::abs(j["residual"].get<double>()), 1e-12);
  // 1.4786, the figure often quoted, leaves a residual of about 0.05.
  const double quoted = 1.4786;
  EXPECT_GT(std::pow(quoted, 7) + std::pow(quoted, 3) - 25 + std::exp(quoted) +
                std::log(quoted + quoted * quoted) + 1 / quoted,
            0.04);
  const Outcome sides = tapegrad({"solve", "x^3 = 2*x + 5", "--from", "x=2"});
  EXPECT_EQ(sides.exit_code, 0) << sides.err;
  EXPECT_NE(sides.out.find("x = 2.09455148154232"), std::string::npos) << sides.out;  // Newton's own example
}

TEST(Cli, CostReportsRatioAndTape) {
  const Outcome r =
      tapegrad({"cost", "sum(x^2 * sin(x))", "--dim", "x=1000", "--at", "x=0.5", "--samples", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  EXPECT_NEAR(j["value"].get<double>(), 1000 * 0.25 * std::sin(0.5), 1e-9);
  EXPECT_GT(j["ratio"].get<double>(), 0);
  // The 1000 inputs and one statement per term (cli/sum_terms.hpp).
  EXPECT_EQ(j["tape_nodes"].get<long>(), 2000);
  // The recording, then its peak with one 8-byte adjoint per statement (slot 0 and the
  // 1000 inputs included) once swept; a replay tape keeps more, to run it again.
  const long nodes = j["tape_nodes"].get<long>(), bytes = j["tape_bytes"].get<long>();
  EXPECT_GE(bytes, 4 * (nodes + 1));
  EXPECT_EQ(j["tape_peak_bytes"].get<long>(), bytes + 8 * (nodes + 1));
  EXPECT_GT(j["replay_tape_bytes"].get<long>(), bytes);
  // The replayed gradient is timed too, with its ratio to the value.
  const double replay = j["replay_seconds"].get<double>();
  EXPECT_GT(replay, 0);
  EXPECT_DOUBLE_EQ(j["replay_ratio"].get<double>(), replay / j["value_seconds"].get<double>());
  // A constant has no gradient to replay: null, not a made-up figure.
  const Outcome constant = tapegrad({"cost", "2 * 3", "--samples", "1", "--json"});
  ASSERT_EQ(constant.exit_code, 0) << constant.err;
  EXPECT_TRUE(json_of(constant)["replay_seconds"].is_null());
  EXPECT_TRUE(json_of(constant)["replay_tape_bytes"].is_null());
}

// A vector index computed from a variable is recorded as a comparison, so minimize's
// replay does not keep reading the entry it read first. From y = 0.2, gradient descent
// fits x[0] while floor(y) = 0 and x[1] once y passes 1 (floor has derivative 0, so y
// itself just descends to 1.5): at the end x[1] is near 3 and x[0] stopped part way.
// Had the replay kept reading x[0], x[1] would still be 0.
TEST(Cli, MinimizeReplaysThroughAComputedIndex) {
  const Outcome r = tapegrad({"minimize", "(x[floor(y)] - 3)^2 + (y - 1.5)^2", "--dim", "x=2", "--from",
                              "x=0,y=0.2", "--optimizer", "sgd", "--lr", "0.1", "--steps", "60", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  const double y = j["x"]["y"].get<double>(), x0 = j["x"]["x"][0].get<double>(),
               x1 = j["x"]["x"][1].get<double>();
  EXPECT_NEAR(y, 1.5, 1e-4) << r.out;
  EXPECT_NEAR(x1, 3, 1e-4) << r.out;
  EXPECT_GT(x0, 1) << r.out;  // fitted for the first steps only: 3·(1 − 0.8^k) for a few k
  EXPECT_LT(x0, 2.9) << r.out;
  // The reported f is the function's value at the reported point.
  EXPECT_NEAR(j["f"].get<double>(), (x1 - 3) * (x1 - 3) + (y - 1.5) * (y - 1.5), 1e-12) << r.out;
}

TEST(Cli, TrainPredictAndTheFilesItWrites) {
  const fs::path dir = fs::temp_directory_path() / ("tapegrad-train-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const Outcome train =
      tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "60", "--lr", "0.05", "--batch-size",
                "16", "--activation", "sigmoid", "--patience", "0", "--out", dir.string(), "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const nlohmann::json j = json_of(train);
  EXPECT_GE(j["test_accuracy"].get<double>(), 0.9);
  EXPECT_EQ(j["epochs"], 60);
  EXPECT_TRUE(fs::exists(dir / "model.json") && fs::exists(dir / "loss.csv") && fs::exists(dir / "loss.svg"));
  // Predictions for the shipped iris rows: class names, one per line, mostly right.
  const Outcome predict = tapegrad({"predict", "--model", (dir / "model.json").string(), "--data",
                                    std::string(TAPEGRAD_DATA_DIR) + "/iris.csv"});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  std::istringstream lines(predict.out);
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) names.push_back(line);
  ASSERT_EQ(names.size(), 150u);
  int right = 0;
  for (std::size_t i = 0; i < 150; ++i)
    right += names[i] == (i < 50 ? "setosa" : i < 100 ? "versicolor" : "virginica");
  EXPECT_GE(right, 135);
  fs::remove_all(dir);
}

// The activations added by one entry in models/activations.hpp reach the command line,
// the model file and predict: trained, saved, loaded and predicting the iris rows.
TEST(Cli, TrainsSavesAndLoadsGeluAndSiluNetworks) {
  for (const std::string activation : {"gelu", "gelu_tanh", "silu"}) {
    const fs::path dir =
        fs::temp_directory_path() / ("tapegrad-" + activation + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const Outcome train = tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "60", "--lr",
                                    "0.05", "--batch-size", "16", "--activation", activation, "--patience",
                                    "0", "--out", dir.string(), "--json"});
    ASSERT_EQ(train.exit_code, 0) << train.err;
    // 26 of the 30 test rows, as tanh scores with the same settings on this split.
    EXPECT_GE(json_of(train)["test_accuracy"].get<double>(), 0.85) << activation;
    std::ifstream model_file(dir / "model.json");
    const nlohmann::json model = nlohmann::json::parse(model_file);
    ASSERT_EQ(model["layers"].size(), 3u);
    EXPECT_EQ(model["layers"][1]["kind"], activation);
    const Outcome predict = tapegrad({"predict", "--model", (dir / "model.json").string(), "--data",
                                      std::string(TAPEGRAD_DATA_DIR) + "/iris.csv"});
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
    std::istringstream lines(predict.out);
    int right = 0, i = 0;
    for (std::string line; std::getline(lines, line); ++i)
      right += line == (i < 50 ? "setosa" : i < 100 ? "versicolor" : "virginica");
    EXPECT_EQ(i, 150);
    EXPECT_GE(right, 135) << activation;
    fs::remove_all(dir);
  }
  expect_usage_error(tapegrad({"train", "--data", "iris", "--activation", "swish"}),
                     "expected one of sigmoid, tanh, relu, gelu, gelu_tanh, silu");
}

// Numbers meeting only numbers are computed as numbers, and enter the tape inside the
// operation that meets a variable: the gradient is the hand-derived one (∂/∂xᵢ of
// Σ (i+1)·2·xᵢ² is 4(i+1)xᵢ), and a domain error among numbers alone is still named at its
// column.
TEST(Cli, NumbersAreFoldedAndStillChecked) {
  const Outcome r = tapegrad({"grad", "sum(i = 0..2: (i + 1) * 2 * x[i]^2)", "--dim", "x=3", "--at", "x=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("f = 12\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("df/dx[0] = 4\ndf/dx[1] = 8\ndf/dx[2] = 12\n"), std::string::npos) << r.out;
  expect_usage_error(tapegrad({"grad", "x * sqrt(1 - 2)", "--at", "x=1"}), "sqrt(-1) is NaN (column 5)");
}

TEST(Cli, BadInputIsOneLineAndExitTwo) {
  expect_usage_error(tapegrad({"grad", "x + )", "--at", "x=1"}), "column 5");
  expect_usage_error(tapegrad({"grad", "x*y", "--at", "x=1"}), "no value for the variable y");
  expect_usage_error(tapegrad({"grad", "x", "--at", "x=abc"}), "'abc' is not a number");
  expect_usage_error(tapegrad({"grad", "log(x)", "--at", "x=-1"}), "log(-1) is NaN");
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "newtn"}),
                     "unknown optimizer");
  expect_usage_error(
      tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "adam", "--momentum", "0.9"}),
      "--momentum does not apply to adam");
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "sgd", "--lr", "-1"}),
                     "lr");
  // Optimizer flags: each checked against the chosen optimizer's fields and their types.
  const std::vector<std::pair<std::vector<std::string>, std::string>> optimizer_flag_errors = {
      {{"--optimizer", "rprop", "--beta1", "0.9"}, "--beta1 does not apply to rprop"},
      {{"--optimizer", "lbfgs", "--max-iter", "2.5"}, "--max-iter: '2.5' is not a whole number"},
      {{"--optimizer", "lbfgs", "--line-search", "armijo"}, "expected none or strong-wolfe"},
      {{"--optimizer", "adadelta", "--rho", "2"}, "rho = 2"},
  };
  for (const auto& [flags, fragment] : optimizer_flag_errors) {
    std::vector<std::string> args = {"minimize", "x^2", "--from", "x=1"};
    args.insert(args.end(), flags.begin(), flags.end());
    expect_usage_error(tapegrad(args), fragment);
  }
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", "x=1", "--restarts", "3"}), "--box");
  // No root is a computation that did not succeed (exit 1), with the best point found.
  const Outcome no_root = tapegrad({"solve", "x^2 = -1", "--from", "x=1"});
  EXPECT_EQ(no_root.exit_code, 1) << no_root.err;
  EXPECT_NE(no_root.err.find("no root found"), std::string::npos) << no_root.err;
  EXPECT_NE(no_root.out.find("residual = "), std::string::npos) << no_root.out;
  expect_usage_error(tapegrad({"grad", "x", "--bogus"}), "--bogus");
  expect_usage_error(tapegrad({"frobnicate"}), "frobnicate");
  expect_usage_error(tapegrad({"train", "--data", "/nonexistent.csv"}), "/nonexistent.csv");
  expect_usage_error(tapegrad({"predict", "--model", "/nonexistent.json", "--data", "x.csv"}),
                     "/nonexistent.json");
  // The caret sits under the column.
  const Outcome caret = tapegrad({"grad", "x + foo(2)", "--at", "x=1"});
  EXPECT_NE(caret.err.find("  x + foo(2)\n      ^\n"), std::string::npos) << caret.err;
}

TEST(Cli, FailedTrainingWritesNothing) {
  const fs::path dir = fs::temp_directory_path() / ("tapegrad-nothing-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path bad = fs::temp_directory_path() / ("tapegrad-bad-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(bad) << "a,b,label\n1,2,x\n3,oops,y\n";
  expect_usage_error(tapegrad({"train", "--data", bad.string(), "--out", dir.string()}), ":3:3:");
  EXPECT_FALSE(fs::exists(dir));
  fs::remove(bad);
}

TEST(Cli, AnExpressionMayStartWithAMinus) {
  const Outcome r = tapegrad({"grad", "-x^2", "--at", "x=3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "f = -9\ndf/dx = -6\n");
}

TEST(Cli, FunctionsListsEveryCallableRule) {
  const Outcome r = tapegrad({"functions", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  std::map<std::string, int> arity;
  for (const auto& f : j["functions"]) arity[f["name"].get<std::string>()] = f["arguments"].get<int>();
  EXPECT_EQ(arity.at("digamma"), 1);
  EXPECT_EQ(arity.at("square"), 1);
  EXPECT_EQ(arity.at("fmod"), 2);
  EXPECT_EQ(arity.at("clamp"), 3);
  EXPECT_EQ(arity.count("neg"), 0u);  // unary minus is an operator, not a function
  EXPECT_EQ(arity.count("+"), 0u);
}

// Arguments no option took are named as the user wrote them, whole and in order: an
// option the command lacks with the nearest it has (never itself), or the stray words.
TEST(Cli, UnexpectedArgumentsAreNamedAsWritten) {
  expect_usage_error(
      tapegrad({"minimize", "x^2", "--from", "x=1", "--optimizer", "adam", "--betas", "0.9", "0.99"}),
      "--betas is not an option of tapegrad minimize; did you mean --beta1? (unexpected: --betas 0.9 "
      "0.99;");
  expect_usage_error(tapegrad({"grad", "x^2", "--at", "x=1", "sin(x) + 1"}),
                     "unexpected argument \"sin(x) + 1\" (tapegrad grad takes one expression");
  expect_usage_error(tapegrad({"grad", "x^2", "+", "y", "--at", "x=1,y=2"}),
                     "unexpected arguments + y (an expression with spaces goes in quotes");
  const Outcome itself = tapegrad({"grad", "x", "--at", "x=1", "--", "--steps"});
  EXPECT_EQ(itself.exit_code, 2);
  EXPECT_EQ(itself.err.find("did you mean"), std::string::npos) << itself.err;
}
