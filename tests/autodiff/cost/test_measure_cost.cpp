// tg::measure_cost: the cost report of a user's own function. Times cannot be checked
// against expected numbers; what can: the value and tape size of one recording (counted
// by hand), every time present, positive and finite, the ratios being the quotients of
// the times reported, replay skipped with its reason where it cannot run, and bad input
// refused with an error naming it.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <span>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::Var;

// Σ x_i², written once over the scalar type.
struct SumOfSquares {
  template <class X>
  auto operator()(std::span<const X> x) const {
    X s = x[0] * x[0];
    for (std::size_t i = 1; i < x.size(); ++i) s += x[i] * x[i];
    return s;
  }
};

// Short batches: these tests check what is reported, not how fast.
tg::CostOptions quick_options() { return {.samples = 3, .batch_seconds = 0.002}; }
const tg::CostOptions quick = quick_options();

TEST(MeasureCost, ReportsTheValueTheTapeAndEveryTime) {
  const std::vector<double> x = {1.0, -2.0, 0.5, 3.0};
  tg::CostOptions options = quick;
  options.plain = [](std::span<const double> v) { return SumOfSquares{}(v); };
  const tg::CostReport r = tg::measure_cost([](std::span<const Var> v) { return SumOfSquares{}(v); },
                                            std::span<const double>(x), options);
  EXPECT_EQ(r.value, 1.0 + 4.0 + 0.25 + 9.0);
  // Four inputs, then x0·x0 and one `s += x_i·x_i` per further input: 4 + 1 + 3.
  EXPECT_EQ(r.tape_nodes, 8U);
  EXPECT_GT(r.tape_bytes, 0U);
  for (const double t : {r.gradient_seconds, r.replay_seconds.value(), r.value_seconds.value()}) {
    EXPECT_TRUE(std::isfinite(t));
    EXPECT_GT(t, 0.0);
  }
  EXPECT_DOUBLE_EQ(r.ratio.value(), r.gradient_seconds / *r.value_seconds);
  EXPECT_DOUBLE_EQ(r.replay_ratio.value(), *r.replay_seconds / *r.value_seconds);
  EXPECT_TRUE(r.replay_skipped.empty());
}

TEST(MeasureCost, WithoutAPlainFunctionThereIsNoRatio) {
  const std::vector<double> x = {0.3, 0.7};
  const tg::CostReport r = tg::measure_cost([](const std::vector<Var>& v) { return tg::exp(v[0]) * v[1]; },
                                            std::span<const double>(x), quick);
  EXPECT_DOUBLE_EQ(r.value, std::exp(0.3) * 0.7);
  EXPECT_FALSE(r.value_seconds.has_value());
  EXPECT_FALSE(r.ratio.has_value());
  EXPECT_FALSE(r.replay_ratio.has_value());
  EXPECT_TRUE(r.replay_seconds.has_value());
}

TEST(MeasureCost, ReplayIsSkippedWithItsReason) {
  const std::vector<double> x = {2.0};
  tg::CostOptions no_replay = quick;
  no_replay.replay = false;
  const auto square = [](std::span<const Var> v) { return v[0] * v[0]; };
  const tg::CostReport asked_not = tg::measure_cost(square, std::span<const double>(x), no_replay);
  EXPECT_FALSE(asked_not.replay_seconds.has_value());
  EXPECT_NE(asked_not.replay_skipped.find("options.replay"), std::string::npos) << asked_not.replay_skipped;

  // A default Var is a constant on no tape (its value is 0).
  const tg::CostReport constant =
      tg::measure_cost([](std::span<const Var>) { return Var{}; }, std::span<const double>(x), quick);
  EXPECT_EQ(constant.value, 0.0);
  EXPECT_FALSE(constant.replay_seconds.has_value());
  EXPECT_NE(constant.replay_skipped.find("does not depend"), std::string::npos) << constant.replay_skipped;
}

TEST(MeasureCost, BadInputIsRefusedByName) {
  const auto log0 = [](std::span<const Var> v) { return tg::log(v[0]); };
  const std::vector<double> negative = {-1.0}, empty;
  try {
    tg::measure_cost(log0, std::span<const double>(negative), quick);
    FAIL() << "log(-1) was measured";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("finite"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tg::measure_cost(log0, std::span<const double>(empty), quick), tg::Error);
  tg::CostOptions wrong_plain = quick;
  wrong_plain.plain = [](std::span<const double> v) { return std::log(v[0]) + 1.0; };
  const std::vector<double> one = {2.0};
  try {
    tg::measure_cost(log0, std::span<const double>(one), wrong_plain);
    FAIL() << "a plain function with another value was accepted";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("options.plain"), std::string::npos) << e.what();
  }
  tg::CostOptions no_samples = quick;
  no_samples.samples = 0;
  EXPECT_THROW(tg::measure_cost(log0, std::span<const double>(one), no_samples), tg::Error);
}

}  // namespace
