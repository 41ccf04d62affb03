// `tapegrad train` (and grad's --graph) as a user runs it: every number that sizes a resource is bounded
// before anything is taken, a resumed run keeps (or refuses to change) what it was
// trained with and says when it has nothing to do, a diverged run leaves nothing
// behind, and train offers only the optimizers it can run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "run_cli.hpp"

namespace fs = std::filesystem;
using namespace cli_run;

namespace {

class TrainingRuns : public ScratchFolderTest {};

// 4 × the hardware threads, at least 8: ThreadPool::max_threads()'s rule.
int thread_limit() { return static_cast<int>(std::max(4U * std::thread::hardware_concurrency(), 8U)); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(TrainingRuns, ThreadsAreBoundedBeforeAnyStarts) {
  const int limit = thread_limit();
  for (const std::string& threads :
       {std::to_string(limit + 1), std::string("100000"), std::string("1000000000")})
    expect_usage_error(tapegrad({"train", "--data", "iris", "--epochs", "1", "--threads", threads}),
                       "must be 0 to " + std::to_string(limit));
  expect_usage_error(tapegrad({"train", "--data", "iris", "--threads", "-1"}), "--threads must be 0 or more");
  for (const std::string& threads : {std::string("0"), std::string("1"), std::to_string(limit)}) {
    const Outcome r = tapegrad({"train", "--data", "iris", "--epochs", "1", "--threads", threads, "--json"});
    EXPECT_EQ(r.exit_code, 0) << threads << ": " << r.err;
  }
}

// Iris's minibatches of 32 rows are one shard each (shards have at least 64 rows by
// default): more threads would only wait, and the program says so.
TEST_F(TrainingRuns, ThreadsWithoutAShardAreNamed) {
  const Outcome r = tapegrad({"train", "--data", "iris", "--epochs", "1", "--threads", "4", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "a minibatch of 32 rows makes 1 shard")) << r.err;
  EXPECT_TRUE(contains(r.err, "so 1 of --threads 4 has work")) << r.err;
  const Outcome enough = tapegrad({"train", "--data", "iris", "--epochs", "1", "--batch-size", "64",
                                   "--shard-rows", "32", "--threads", "2"});
  ASSERT_EQ(enough.exit_code, 0) << enough.err;
  EXPECT_FALSE(contains(enough.err, "note:")) << enough.err;
}

TEST_F(TrainingRuns, NetworkSizesAreBoundedBeforeTheyAreBuilt) {
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "1000001"}), "10^6");
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "1000000000"}), "10^6");
  // 10⁴ × 10⁴ weights between the hidden layers alone: 10⁸, above the 5·10⁷ limit.
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "10000,10000"}), "weights");
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "0"}), "--hidden");
  for (const char* size : {"0", "-1"})
    expect_usage_error(tapegrad({"train", "--data", "iris", "--batch-size", size}), "--batch-size");
  for (const char* shards : {"0", "-3"})
    expect_usage_error(tapegrad({"train", "--data", "iris", "--max-shards", shards}), "--max-shards");
  // Larger than the data: one minibatch of every row, one shard per 64 rows.
  const Outcome big = tapegrad({"train", "--data", "iris", "--epochs", "2", "--batch-size", "1000000000",
                                "--max-shards", "1000000000", "--threads", "2", "--json"});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_EQ(json_of(big)["epochs"], 2);
}

TEST_F(TrainingRuns, TrainOffersOnlyTheOptimizersItCanRun) {
  const Outcome help = tapegrad({"train", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_FALSE(contains(help.out, "newton")) << help.out;
  EXPECT_FALSE(contains(help.out, "--max-cg-iter")) << help.out;  // a flag of newton-cg alone
  expect_usage_error(tapegrad({"train", "--data", "iris", "--optimizer", "newton"}), "use it with minimize");
  // Names are matched without regard to case, as PyTorch writes them.
  const Outcome adam =
      tapegrad({"train", "--data", "iris", "--epochs", "1", "--optimizer", "Adam", "--json"});
  EXPECT_EQ(adam.exit_code, 0) << adam.err;
  expect_usage_error(tapegrad({"train", "--data", "iris", "--optimizer", "adma"}), "did you mean adam?");
}

// The README's example: 60 epochs, then on to 90 from the checkpoint.
TEST_F(TrainingRuns, AResumedRunTrainsOnToTheNewEpochCount) {
  const std::vector<std::string> run = {"train", "--data", "iris",       "--hidden", "8",
                                        "--lr",  "0.05",   "--patience", "0"};
  std::vector<std::string> first = run, second = run;
  first.insert(first.end(), {"--epochs", "60", "--out", path("run1"), "--json"});
  second.insert(second.end(), {"--epochs", "90", "--resume", path("run1"), "--json"});
  const Outcome a = tapegrad(first);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(json_of(a)["epochs"], 60);
  const Outcome b = tapegrad(second);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(json_of(b)["epochs"], 90);
  EXPECT_FALSE(contains(b.err, "nothing more to train")) << b.err;
}

TEST_F(TrainingRuns, ResumingARunThatHasNothingLeftSaysSo) {
  const std::vector<std::string> run = {"train", "--data", "iris", "--hidden", "8", "--lr", "0.05"};
  std::vector<std::string> first = run;
  first.insert(first.end(), {"--epochs", "300", "--out", path("early"), "--json"});
  const Outcome a = tapegrad(first);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(json_of(a)["stop_reason"], "early stopping");
  const int stopped_at = json_of(a)["epochs"];
  ASSERT_LT(stopped_at, 300);

  std::vector<std::string> again = run;
  again.insert(again.end(), {"--epochs", "400", "--resume", path("early"), "--json"});
  const Outcome b = tapegrad(again);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(contains(b.err, "ended by early stopping after epoch " + std::to_string(stopped_at))) << b.err;
  EXPECT_EQ(json_of(b)["epochs"], stopped_at);

  // Without early stopping it trains on, to the new count.
  std::vector<std::string> on = run;
  on.insert(on.end(), {"--epochs", std::to_string(stopped_at + 5), "--patience", "0", "--resume",
                       path("early"), "--json"});
  const Outcome c = tapegrad(on);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json_of(c)["epochs"], stopped_at + 5);

  // Its epochs done: a smaller or equal --epochs has nothing to do.
  std::vector<std::string> done = run;
  done.insert(done.end(), {"--epochs", "3", "--patience", "0", "--resume", path("early")});
  const Outcome d = tapegrad(done);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(contains(d.err, "--epochs is 3: nothing more to train")) << d.err;
}

TEST_F(TrainingRuns, AResumedRunRefusesOtherHyperparametersNamingTheRunsValues) {
  const Outcome a = tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "5", "--lr", "0.05",
                              "--weight-decay", "0.001", "--out", path("hp")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "9", "--lr", "0.01",
                               "--resume", path("hp")}),
                     "--lr 0.01 (the run has --lr 0.05)");
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "9", "--weight-decay",
                               "0.1", "--resume", path("hp")}),
                     "--weight-decay 0.1 (the run has --weight-decay 0.001)");
  expect_usage_error(tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "9", "--optimizer",
                               "sgd", "--resume", path("hp")}),
                     "the run was trained with --optimizer adam, this command gives sgd;");
  // The run's own values, or none, continue it.
  const Outcome same = tapegrad({"train", "--data", "iris", "--hidden", "8", "--epochs", "9", "--lr", "0.05",
                                 "--resume", path("hp"), "--json"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(json_of(same)["epochs"], 9);
}

// --optimizer is lower-cased as it is parsed: "LBFGS" is lbfgs with train's defaults for
// it (strong-Wolfe line search), the same run to the bit.
TEST_F(TrainingRuns, OptimizerNamesInAnyCaseGetTheSameDefaults) {
  const std::vector<std::string> run = {"train", "--data", "iris", "--epochs", "3", "--json", "--optimizer"};
  std::vector<std::string> lower = run, upper = run;
  lower.push_back("lbfgs");
  upper.push_back("LBFGS");
  const Outcome a = tapegrad(lower), b = tapegrad(upper);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(json_of(a)["test_loss"], json_of(b)["test_loss"]);
}

// The note counts the rows the Trainer trains on, after the validation hold-out: 120
// rows less a quarter is 90, one minibatch, 2 shards of at least 40 rows.
TEST_F(TrainingRuns, TheIdleThreadNoteCountsTheRowsAfterValidation) {
  const Outcome r =
      tapegrad({"train", "--data", "iris", "--epochs", "1", "--batch-size", "1000", "--shard-rows", "40",
                "--threads", "8", "--validation-fraction", "0.25", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "a minibatch of 90 rows makes 2 shards")) << r.err;
  EXPECT_TRUE(contains(r.err, "a smaller --shard-rows")) << r.err;  // the batch holds every row already
}

// Refused hyperparameters are named as flags: a choice by its word, a switch by with/without.
TEST_F(TrainingRuns, AResumedRunNamesItsHyperparametersAsFlags) {
  const Outcome a =
      tapegrad({"train", "--data", "iris", "--epochs", "2", "--optimizer", "lbfgs", "--out", path("lb")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  expect_usage_error(tapegrad({"train", "--data", "iris", "--epochs", "4", "--optimizer", "lbfgs",
                               "--line-search", "none", "--resume", path("lb")}),
                     "--line-search none (the run has --line-search strong-wolfe)");
  const Outcome s =
      tapegrad({"train", "--data", "iris", "--epochs", "2", "--optimizer", "sgd", "--out", path("sgd")});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  expect_usage_error(tapegrad({"train", "--data", "iris", "--epochs", "4", "--optimizer", "sgd", "--momentum",
                               "0.9", "--nesterov", "--resume", path("sgd")}),
                     "--nesterov (the run has no --nesterov)");
  expect_usage_error(tapegrad({"train", "--data", "iris", "--epochs", "4", "--resume", path("sgd")}),
                     "the run was trained with --optimizer sgd, this command has the default adam");
}

TEST_F(TrainingRuns, ADivergedRunLeavesNothingBehindAndPrintsNoSignedNan) {
  const Outcome r =
      tapegrad({"train", "--data", "iris", "--optimizer", "sgd", "--lr", "1e300", "--out", path("diverged")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "training diverged")) << r.err;
  EXPECT_FALSE(contains(r.err, "-nan")) << r.err;
  EXPECT_FALSE(fs::exists(path("diverged")));
}

// A label of 100 distinct numbers asked to be classes: 100 classes of one row, which
// no stratified split can share; the message says so instead of "too few rows".
TEST_F(TrainingRuns, ClassifyingAContinuousTargetNamesTheCause) {
  std::ofstream csv(path("continuous.csv"));
  csv << "x,y\n";
  for (int i = 0; i < 100; ++i) csv << i << "," << 0.5 * i + 0.01 * (i % 7) << "\n";
  csv.close();
  expect_usage_error(tapegrad({"train", "--data", path("continuous.csv"), "--task", "classify"}),
                     "100 of the 100 classes have a single row");
}

class ExpressionGraph : public ScratchFolderTest {};

// grad --graph: the inputs are drawn under their names, the numbers of the expression
// inside the operations that use them ("(2.5 * v1)"), never as inputs "v1 (input)"; a
// number the evaluator records as a leaf (an argument of a three-argument function) is
// labelled as a constant.
TEST_F(ExpressionGraph, NamesInputsAndConstants) {
  const Outcome r = tapegrad({"grad", "x*y + 2.5*x", "--at", "x=1,y=3", "--graph", path("f.dot")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dot = slurp(path("f.dot"));
  EXPECT_TRUE(contains(dot, " = x\\nvalue = 1\\nadjoint = 5.5")) << dot;  // ∂f/∂x = y + 2.5
  EXPECT_TRUE(contains(dot, " = y\\nvalue = 3\\nadjoint = 1")) << dot;    // ∂f/∂y = x
  EXPECT_TRUE(contains(dot, " = (2.5 * v")) << dot;
  EXPECT_FALSE(contains(dot, "(input)")) << dot;

  const Outcome clamped =
      tapegrad({"grad", "clamp(x, 0.25, 2)*y", "--at", "x=1,y=3", "--graph", path("g.dot")});
  ASSERT_EQ(clamped.exit_code, 0) << clamped.err;
  const std::string g = slurp(path("g.dot"));
  EXPECT_TRUE(contains(g, " = 0.25 (constant)")) << g;
  EXPECT_TRUE(contains(g, " = 2 (constant)")) << g;
  EXPECT_FALSE(contains(g, "(input)")) << g;
}

}  // namespace
