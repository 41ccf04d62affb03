// tg::register_cost_benchmarks: the benchmarks it registers run under Google Benchmark
// with the names, counters and errors it promises. The tape size is counted by hand.
#include <gtest/gtest.h>

#include <map>
#include <span>
#include <string>
#include <tapegrad/autodiff/cost/benchmark_cost.hpp>
#include <tapegrad/tapegrad.hpp>
#include <type_traits>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::Var;

// Keeps every run's outcome by name, and prints nothing.
class Collect : public benchmark::BenchmarkReporter {
 public:
  std::map<std::string, Run> runs;
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& report) override {
    for (const Run& run : report) runs[run.run_name.function_name] = run;  // without /iterations:N
  }
};

std::map<std::string, benchmark::BenchmarkReporter::Run> run_matching(const std::string& spec) {
  Collect collect;
  benchmark::RunSpecifiedBenchmarks(&collect, spec);
  return collect.runs;
}

TEST(RegisterCostBenchmarks, ValueGradientAndReplayRunWithTheTapeSize) {
  const auto f = [](auto x) {
    using S = std::remove_cvref_t<decltype(x[0])>;
    S s = x[0] * x[0];
    for (std::size_t i = 1; i < x.size(); ++i) s = s + x[i] * x[i];
    return s;
  };
  tg::CostOptions options;
  options.plain = f;
  for (benchmark::internal::Benchmark* b :
       tg::register_cost_benchmarks("squares", f, {1.0, 2.0, 3.0}, options))
    b->Iterations(50);
  const auto runs = run_matching("^squares/");
  ASSERT_EQ(runs.size(), 3U);
  for (const char* variant : {"squares/value", "squares/gradient", "squares/replay"}) {
    ASSERT_TRUE(runs.count(variant)) << variant;
    EXPECT_FALSE(runs.at(variant).error_occurred) << variant << ": " << runs.at(variant).error_message;
    EXPECT_EQ(runs.at(variant).iterations, 50) << variant;
  }
  // The three inputs, then one statement per assignment to s: x0·x0, s + x1·x1, s + x2·x2.
  EXPECT_EQ(runs.at("squares/gradient").counters.at("tape_nodes").value, 6.0);
  EXPECT_GT(runs.at("squares/gradient").counters.at("tape_bytes").value, 0.0);
}

TEST(RegisterCostBenchmarks, WhatCannotRunSaysWhy) {
  const auto log0 = [](std::span<const Var> x) { return tg::log(x[0]); };
  for (benchmark::internal::Benchmark* b : tg::register_cost_benchmarks("log_of_negative", log0, {-1.0}))
    b->Iterations(1);
  const auto runs = run_matching("^log_of_negative/");
  ASSERT_TRUE(runs.count("log_of_negative/gradient"));
  EXPECT_TRUE(runs.at("log_of_negative/gradient").error_occurred);
  EXPECT_NE(runs.at("log_of_negative/gradient").error_message.find("not finite"), std::string::npos);
  EXPECT_FALSE(runs.count("log_of_negative/value"));  // no .plain: not registered
  EXPECT_THROW(tg::register_cost_benchmarks("empty", log0, {}), tg::Error);
}

}  // namespace
