// checkpoint() and preaccumulate() give the gradient of the computation they replace,
// and the caller's tape holds what they promise: a checkpoint's inputs and outputs, a
// preaccumulated region's Jacobian.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../../support/relative_near.hpp"

namespace tg = tapegrad;
using tg::Var;

namespace {

// A region of about 200 operations from 3 inputs to 2 outputs.
std::vector<Var> long_region(std::span<const Var> x) {
  Var a = x[0], b = x[1];
  for (int i = 0; i < 40; ++i) {
    const Var t = tg::sin(a * x[2]) + 0.5 * b;
    b = tg::tanh(b - 0.1 * a) + 0.01 * static_cast<double>(i);
    a = t;
  }
  return {a * b, a + x[2]};
}

const std::vector<double> region_point{0.4, -0.7, 1.3};

// Σ wᵢ·yᵢ of the region on the plain tape, then its gradient.
std::vector<double> plain_region_gradient() {
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  const std::vector<Var> y = long_region(x);
  return tg::gradient(2.0 * y[0] - y[1] + x[0] * y[1], x);
}

TEST(Checkpoint, GradientAsWithoutIt) {
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  const std::vector<Var> y = tg::checkpoint(long_region, x);
  const Var f = 2.0 * y[0] - y[1] + x[0] * y[1];
  expect_relatively_near(tg::gradient(f, x), plain_region_gradient(), 1e-14);
  expect_relatively_near(tg::gradient(f, x), plain_region_gradient(), 1e-14);  // swept twice
}

// The caller's tape holds the inputs and outputs, not the region's 200 operations.
TEST(Checkpoint, TheTapeHoldsInputsAndOutputs) {
  std::size_t plain = 0, checkpointed = 0;
  {
    tg::Tape tape;
    const std::vector<Var> x(region_point.begin(), region_point.end());
    long_region(x);
    plain = tape.num_nodes();
  }
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  tg::checkpoint(long_region, x);
  checkpointed = tape.num_nodes();
  EXPECT_EQ(checkpointed, 3u + 1u + 2u);  // the inputs, the operation, its outputs
  EXPECT_EQ(plain, 3u + 2 * 40 + 2);      // the inputs, two statements a round, the outputs
}

TEST(Checkpoint, OneOutputAndAConstantInput) {
  tg::Tape tape;
  const Var x = 0.8;
  const std::vector<Var> inputs{x, Var()};  // a constant (0) among the inputs
  const Var y = tg::checkpoint([](std::span<const Var> v) { return tg::exp(v[0] * v[0]) + v[1]; }, inputs);
  EXPECT_NEAR(tg::gradient(y, {x})[0], 2 * 0.8 * std::exp(0.64), 1e-14);
}

// Parameters read inside: gradients accumulate as without the checkpoint.
TEST(Checkpoint, ParametersInside) {
  tg::Parameter w(Eigen::MatrixXd::Constant(1, 1, 1.5));
  const auto f = [&w](std::span<const Var> v) -> Var { return tg::square(w.var() * v[0]) + w.var(); };
  for (const bool checkpointed : {false, true}) {
    w.zero_grad();
    tg::Tape tape;
    const Var x = 0.3;
    const Var y = checkpointed ? tg::checkpoint(f, std::vector<Var>{x}) : f(std::vector<Var>{x});
    tape.backward(y);
    // d/dw (w x)² + w = 2 w x² + 1; d/dx = 2 w² x.
    EXPECT_NEAR(w.grad()(0, 0), 2 * 1.5 * 0.09 + 1, 1e-15);
    EXPECT_NEAR(x.adjoint(), 2 * 2.25 * 0.3, 1e-15);
  }
}

// A generic function with a checkpointed part: replayed at new inputs by a
// RecordedFunction, and differentiated twice on Dual numbers.
struct WithCheckpointedPart {
  template <class V>
  V operator()(std::span<const V> x) const {
    const auto part = [](std::span<const V> v) -> V { return exp(v[0] * v[1]) + v[0] * v[0]; };
    return sin(tg::checkpoint(part, x)) + x[1];
  }
};

TEST(Checkpoint, ReplaysInARecordedFunctionAndGivesHessianVectorProducts) {
  tg::RecordedFunction f = tg::record_function(WithCheckpointedPart{}, std::vector<double>{0.2, 0.4});
  for (const auto& [a, b] : {std::pair{0.2, 0.4}, std::pair{-0.3, 0.9}}) {
    // f = sin(u) + b with u = exp(ab) + a²: ∂f/∂a = cos(u)(b e^{ab} + 2a), ∂f/∂b = cos(u) a e^{ab} + 1.
    const double e = std::exp(a * b), u = e + a * a;
    const std::vector<double> g = f.gradient(std::vector<double>{a, b});
    EXPECT_NEAR(g[0], std::cos(u) * (b * e + 2 * a), 1e-14);
    EXPECT_NEAR(g[1], std::cos(u) * a * e + 1, 1e-14);
  }
  EXPECT_EQ(f.rerecordings(), 0u);
  const std::vector<double> x{0.5, -0.7}, v{1.0, 0.25};
  const std::vector<double> expected =
      tg::hvp([](auto y) { return sin(exp(y[0] * y[1]) + y[0] * y[0]) + y[1]; }, x, v);
  expect_relatively_near(tg::hvp(WithCheckpointedPart{}, x, v), expected, 1e-13);
}

TEST(Checkpoint, WhatTheRegionThrowsLeavesNothing) {
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  const std::size_t nodes = tape.num_nodes();
  EXPECT_THROW(tg::checkpoint([](std::span<const Var>) -> Var { throw std::runtime_error("no"); }, x),
               std::runtime_error);
  EXPECT_EQ(tape.num_nodes(), nodes);
}

TEST(Preaccumulate, GradientAsWithoutIt) {
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  const std::vector<Var> y = tg::preaccumulate(long_region, x);
  EXPECT_EQ(y.size(), 2u);
  expect_relatively_near(tg::gradient(2.0 * y[0] - y[1] + x[0] * y[1], x), plain_region_gradient(), 1e-14);
}

// The region is stored as its Jacobian: a statement per output, an operand per input.
TEST(Preaccumulate, StoresTheJacobiansBytes) {
  tg::Tape tape;
  const std::vector<Var> x(region_point.begin(), region_point.end());
  const std::size_t before = tape.recording_bytes();
  tg::preaccumulate(long_region, x);
  EXPECT_EQ(tape.recording_bytes() - before,
            2 * (sizeof(std::uint32_t) + 3 * (sizeof(std::uint32_t) + sizeof(double))));
  EXPECT_EQ(tape.num_operands(), 6u);
}

// In a loop: 20 regions of 3 inputs, against the same loop without preaccumulation.
TEST(Preaccumulate, InALoop) {
  const auto cell = [](std::span<const Var> v) {
    Var s = v[0];
    for (int i = 0; i < 30; ++i) s = tg::sin(s) * v[1] + v[2] * 0.1;
    return s;
  };
  const auto run = [&](bool preaccumulated) {
    tg::Tape tape;
    const Var a = 0.2, b = 0.9, c = -0.4;
    Var s = a;
    for (int k = 0; k < 20; ++k) {
      const std::vector<Var> in{s, b, c};
      s = preaccumulated ? tg::preaccumulate(cell, in) : cell(in);
    }
    return tg::gradient(s, {a, b, c});
  };
  expect_relatively_near(run(true), run(false), 1e-12);
}

TEST(Preaccumulate, RefusesOperationsWithABackwardOfTheirOwn) {
  tg::Parameter w(Eigen::MatrixXd::Constant(1, 1, 2.0));
  tg::Tape tape;
  const std::vector<Var> x{1.0};
  EXPECT_THAT([&] { tg::preaccumulate([&w](std::span<const Var> v) { return w.var() * v[0]; }, x); },
              testing::ThrowsMessage<tg::Error>(testing::HasSubstr("preaccumulate scalar operations only")));
  EXPECT_EQ(tape.num_nodes(), 1u);
}

TEST(Preaccumulate, AReplayRefusesIt) {
  EXPECT_THAT(
      [] {
        tg::record_function([](std::span<const Var> v) { return tg::preaccumulate(long_region, v)[0]; },
                            region_point);
      },
      testing::ThrowsMessage<tg::NotReplayable>(testing::HasSubstr("a preaccumulated region")));
}

}  // namespace
