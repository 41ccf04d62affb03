// checkpointed_loop against the same loop on the plain tape: gradients, the number of
// step evaluations (revolve's optimum), the caller's tape's bytes, and its uses inside
// other machinery (nested loops, Parameters, Hessian-vector products, RecordedFunction),
// and a step that throws.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../../support/relative_near.hpp"

namespace tg = tapegrad;
using tg::Var;

namespace {

// A nonlinear explicit time step on a ring of points: diffusion plus a reaction that
// couples each point to its right neighbour and depends on k.
template <class V>
std::vector<V> ring_step(std::span<const V> u, std::size_t k) {
  const std::size_t n = u.size();
  const double rate = 0.05 * (1.0 + 0.1 * static_cast<double>(k % 4));
  std::vector<V> next;
  next.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const V& left = u[(i + n - 1) % n];
    const V& right = u[(i + 1) % n];
    next.push_back(u[i] + 0.2 * (left - 2.0 * u[i] + right) + rate * sin(u[i]) * right);
  }
  return next;
}

template <class V>
V weighted_square_sum(std::span<const V> u) {
  V f = 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) f += (1.0 + 0.1 * static_cast<double>(i)) * u[i] * u[i];
  return f;
}

std::vector<double> start_state(std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 0.3 + 0.25 * std::sin(1.7 * static_cast<double>(i));
  return x;
}

// The loss of the final state and its gradient on the plain tape.
template <class T>
std::vector<T> plain_gradient(const std::vector<T>& x0, std::size_t steps) {
  tg::BasicTape<T> tape;
  const std::vector<tg::BasicVar<T>> x(x0.begin(), x0.end());
  std::vector<tg::BasicVar<T>> u = x;
  for (std::size_t k = 0; k < steps; ++k) u = ring_step<tg::BasicVar<T>>(u, k);
  return tg::gradient(weighted_square_sum<tg::BasicVar<T>>(u), x);
}

struct Checkpointed {
  std::vector<double> gradient;
  std::size_t evaluations = 0;
  std::size_t tape_bytes = 0;
};

Checkpointed checkpointed_gradient(const std::vector<double>& x0, std::size_t steps, std::size_t snapshots) {
  Checkpointed out;
  tg::Tape tape;
  const std::vector<Var> x(x0.begin(), x0.end());
  const std::vector<Var> u = tg::checkpointed_loop(steps, x,
                                                   [&out](std::span<const Var> state, std::size_t k) {
                                                     ++out.evaluations;
                                                     return ring_step<Var>(state, k);
                                                   },
                                                   {.snapshots = snapshots});
  const Var f = weighted_square_sum<Var>(u);
  out.tape_bytes = tape.bytes_in_use();
  out.gradient = tg::gradient(f, x);
  return out;
}

TEST(CheckpointedLoop, GradientsEqualThePlainTapesWithRevolvesCountOfEvaluations) {
  const std::size_t steps = 37, n = 6;
  const std::vector<double> x0 = start_state(n);
  const std::vector<double> expected = plain_gradient(x0, steps);
  for (const std::size_t snapshots :
       {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{10}, steps - 1, steps, steps + 5}) {
    SCOPED_TRACE(snapshots);
    const Checkpointed got = checkpointed_gradient(x0, steps, snapshots);
    expect_relatively_near(got.gradient, expected, 1e-12);
    // Each step recorded once, and revolve's fewest evaluations without recording.
    EXPECT_EQ(got.evaluations, tg::revolve_advances(steps, snapshots) + steps);
  }
}

TEST(CheckpointedLoop, FloatsToo) {
  const std::size_t steps = 25;
  const std::vector<double> start = start_state(4);
  const std::vector<float> x0(start.begin(), start.end());
  const std::vector<float> expected = plain_gradient(x0, steps);
  tg::FloatTape tape;
  const std::vector<tg::FloatVar> x(x0.begin(), x0.end());
  const auto u = tg::checkpointed_loop(steps, x, ring_step<tg::FloatVar>, {.snapshots = 4});
  const std::vector<float> got = tg::gradient(weighted_square_sum<tg::FloatVar>(u), x);
  for (std::size_t i = 0; i < x0.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5f * std::abs(expected[i]));
}

// The caller's tape holds the snapshots and one step, whatever the number of steps.
TEST(CheckpointedLoop, TheTapeHoldsSnapshotsNotSteps) {
  const std::vector<double> x0 = start_state(20);
  const std::size_t short_loop = checkpointed_gradient(x0, 100, 10).tape_bytes;
  const std::size_t long_loop = checkpointed_gradient(x0, 3000, 10).tape_bytes;
  EXPECT_LE(long_loop, short_loop + 64 * sizeof(double));
  // Ten states of 20 doubles, beside one step's recording.
  EXPECT_GE(short_loop, 10 * 20 * sizeof(double));
  tg::Tape plain;
  std::vector<Var> u(x0.begin(), x0.end());
  for (std::size_t k = 0; k < 3000; ++k) u = ring_step<Var>(u, k);
  EXPECT_GT(plain.bytes_in_use(), 100 * long_loop);
}

TEST(CheckpointedLoop, ZeroAndOneSteps) {
  const std::vector<double> x0 = start_state(3);
  for (const std::size_t steps : {0, 1}) {
    const Checkpointed got = checkpointed_gradient(x0, steps, 5);
    expect_relatively_near(got.gradient, plain_gradient(x0, steps), 1e-15);
    EXPECT_EQ(got.evaluations, steps);
  }
}

// A loop inside a loop's step: 6 outer steps of 5 inner ones are the plain 30.
TEST(CheckpointedLoop, NestedLoops) {
  const std::vector<double> x0 = start_state(5);
  tg::Tape tape;
  const std::vector<Var> x(x0.begin(), x0.end());
  const auto outer_step = [](std::span<const Var> u, std::size_t k) {
    return tg::checkpointed_loop(
        5, u, [k](std::span<const Var> v, std::size_t j) { return ring_step<Var>(v, 5 * k + j); },
        {.snapshots = 2});
  };
  const auto u = tg::checkpointed_loop(6, x, outer_step, {.snapshots = 3});
  expect_relatively_near(tg::gradient(weighted_square_sum<Var>(u), x), plain_gradient(x0, 30), 1e-12);
}

TEST(CheckpointedLoop, AStepThatThrowsWhileRecordedLeavesTheTapeAsItWas) {
  const std::vector<double> x0 = start_state(4);
  tg::Tape tape;
  const std::vector<Var> x(x0.begin(), x0.end());
  const std::size_t nodes = tape.num_nodes(), bytes = tape.bytes_in_use();
  for (const std::size_t fails_at : {std::size_t{7}, std::size_t{19}}) {  // midway, and the last step
    const auto failing = [fails_at](std::span<const Var> u, std::size_t k) {
      if (k == fails_at) throw std::runtime_error("step failed");
      return ring_step<Var>(u, k);
    };
    EXPECT_THROW(tg::checkpointed_loop(20, x, failing, {.snapshots = 3}), std::runtime_error);
    EXPECT_EQ(tape.num_nodes(), nodes);
    EXPECT_EQ(tape.bytes_in_use(), bytes);
  }
  const auto u = tg::checkpointed_loop(20, x, ring_step<Var>, {.snapshots = 3});
  expect_relatively_near(tg::gradient(weighted_square_sum<Var>(u), x), plain_gradient(x0, 20), 1e-12);
}

// A step that throws in the reverse sweep: the sweep throws, and the next sweep of the
// same recording starts over and gives the gradient.
TEST(CheckpointedLoop, AStepThatThrowsInTheSweep) {
  const std::vector<double> x0 = start_state(4);
  tg::Tape tape;
  const std::vector<Var> x(x0.begin(), x0.end());
  bool armed = false;
  const auto u = tg::checkpointed_loop(30, x,
                                       [&armed](std::span<const Var> v, std::size_t k) {
                                         if (armed && k == 11)
                                           throw std::runtime_error("step failed in the sweep");
                                         return ring_step<Var>(v, k);
                                       },
                                       {.snapshots = 4});
  const Var f = weighted_square_sum<Var>(u);
  armed = true;
  EXPECT_THROW(tg::gradient(f, x), std::runtime_error);
  armed = false;
  const std::vector<double> expected = plain_gradient(x0, 30);
  expect_relatively_near(tg::gradient(f, x), expected, 1e-12);
  expect_relatively_near(tg::gradient(f, x), expected, 1e-12);  // and again
}

// Parameters read inside the step: their gradients accumulate as on the plain tape.
TEST(CheckpointedLoop, ParametersInsideTheStep) {
  const std::vector<double> x0 = start_state(5);
  tg::Parameter a(Eigen::MatrixXd::Constant(1, 1, 0.7)), b(Eigen::MatrixXd::Constant(1, 1, -0.3));
  const auto step = [&a, &b](std::span<const Var> u, std::size_t k) {
    std::vector<Var> next = ring_step<Var>(u, k);
    const Var pa = a.var(), pb = b.var();
    for (Var& v : next) v = v + 0.01 * (pa * v + pb);
    return next;
  };
  const auto run = [&](bool checkpointed) {
    a.zero_grad();
    b.zero_grad();
    tg::Tape tape;
    const std::vector<Var> x(x0.begin(), x0.end());
    std::vector<Var> u = x;
    if (checkpointed)
      u = tg::checkpointed_loop(23, x, step, {.snapshots = 3});
    else
      for (std::size_t k = 0; k < 23; ++k) u = step(u, k);
    const Var f = weighted_square_sum<Var>(u);
    tape.backward(f);
    std::vector<double> g;
    for (const Var& xi : x) g.push_back(xi.adjoint());
    g.push_back(a.grad()(0, 0));
    g.push_back(b.grad()(0, 0));
    return g;
  };
  const std::vector<double> expected = run(false);
  EXPECT_NE(expected[x0.size()], 0.0);
  expect_relatively_near(run(true), expected, 1e-12);
}

// The loss through a checkpointed loop, written generically: on Duals it gives H·v.
struct LossThroughLoop {
  std::size_t steps, snapshots;
  template <class V>
  V operator()(std::span<const V> x) const {
    using Scalar = std::remove_cvref_t<decltype(x[0].value())>;
    const auto u = tg::checkpointed_loop<Scalar>(steps, x, ring_step<V>, {.snapshots = snapshots});
    return weighted_square_sum<V>(u);
  }
};
struct LossOfPlainLoop {
  std::size_t steps;
  template <class V>
  V operator()(std::span<const V> x) const {
    std::vector<V> u(x.begin(), x.end());
    for (std::size_t k = 0; k < steps; ++k) u = ring_step<V>(u, k);
    return weighted_square_sum<V>(u);
  }
};

TEST(CheckpointedLoop, HessianVectorProductThroughIt) {
  const std::vector<double> x0 = start_state(5);
  std::vector<double> v(x0.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(static_cast<double>(i));
  const std::vector<double> expected = tg::hvp(LossOfPlainLoop{17}, x0, v);
  expect_relatively_near(tg::hvp(LossThroughLoop{17, 3}, x0, v), expected, 1e-12);
}

// Inside a RecordedFunction: each replay runs the loop again at the new inputs.
TEST(CheckpointedLoop, ReplaysInARecordedFunction) {
  const std::vector<double> x0 = start_state(6);
  tg::RecordedFunction f = tg::record_function(LossThroughLoop{21, 4}, x0);
  for (const double shift : {0.0, 0.1, -0.35}) {
    std::vector<double> x = x0;
    for (double& xi : x) xi += shift;
    const std::vector<double> got = f.gradient(x);
    tg::Tape tape;
    const std::vector<Var> xs(x.begin(), x.end());
    const Var expected_value = LossOfPlainLoop{21}(std::span<const Var>(xs));
    expect_relatively_near(got, tg::gradient(expected_value, xs), 1e-12);
    EXPECT_NEAR(f.value(x), expected_value.value(), 1e-12 * std::abs(expected_value.value()));
  }
  EXPECT_EQ(f.rerecordings(), 0u);
}

TEST(CheckpointedLoop, ClearErrors) {
  tg::Tape tape;
  const std::vector<Var> x{1.0, 2.0, 3.0};
  EXPECT_THAT([&] { tg::checkpointed_loop(10, x, ring_step<Var>, {.snapshots = 0}); },
              testing::ThrowsMessage<tg::Error>(testing::HasSubstr("snapshots is 0")));
  const auto shrinking = [](std::span<const Var> u, std::size_t k) {
    std::vector<Var> next = ring_step<Var>(u, k);
    if (k == 4) next.pop_back();
    return next;
  };
  EXPECT_THAT(
      [&] { tg::checkpointed_loop(10, x, shrinking, {.snapshots = 3}); },
      testing::ThrowsMessage<tg::Error>(testing::HasSubstr("step 4 returned 2 values for a state of 3")));
  const Var outside = x[0] * 2.0;
  const auto capturing = [&outside](std::span<const Var> u, std::size_t) {
    return std::vector<Var>{outside, u[1], u[2]};
  };
  EXPECT_THAT([&] { tg::checkpointed_loop(10, x, capturing, {.snapshots = 3}); },
              testing::ThrowsMessage<tg::Error>(testing::HasSubstr("recorded outside the function")));
  EXPECT_THAT([&] { tg::checkpointed_loop(std::size_t{1} << 40, x, ring_step<Var>); },
              testing::ThrowsMessage<tg::Error>(testing::HasSubstr("steps is more than")));
}

}  // namespace
