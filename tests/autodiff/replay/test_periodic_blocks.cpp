// Periodic blocks (replay/detail/periodic_blocks.hpp): a loop body of several statements
// (named temporaries) replayed one statement shape at a time across its iterations must
// give a fresh recording's bits; a loop that carries a temporary into the next iteration
// is not reordered; a kink that changes inside a block is reported as a replay in
// recording order reports it (the first in that order); comparisons inside the body still
// guard the replay.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <tapegrad/autodiff/replay/recorded_function.hpp>
#include <vector>

#include "fresh_recording.hpp"

namespace {

namespace tg = tapegrad;
using replay_testing::fresh_gradient;
using replay_testing::Function;
using replay_testing::random_point;
using tg::Var;

// fn, recorded elsewhere, replayed at x where a branch comes out otherwise: recorded again
// there (once), its value and gradient a fresh recording's bits.
void expect_recorded_again_as_fresh(tg::RecordedFunction& fn, const Function& f,
                                    const std::vector<double>& x) {
  std::vector<double> expected_g;
  const double expected = fresh_gradient(f, x, expected_g);
  std::vector<double> g(x.size());
  EXPECT_EQ(fn.gradient(std::span<const double>(x), std::span<double>(g)), expected);
  EXPECT_EQ(g, expected_g);
  EXPECT_EQ(fn.rerecordings(), 1U);
}

// Records f at points[0]; at every point the replayed value and gradient must be a fresh
// recording's, bit for bit. Returns the number of periodic blocks the replay ran.
std::size_t expect_bits_of_fresh(const Function& f, const std::vector<std::vector<double>>& points,
                                 const std::string& what) {
  tg::RecordedFunction fn(f, std::span<const double>(points[0]));
  for (const std::vector<double>& x : points) {
    std::vector<double> expected_g;
    const double expected = fresh_gradient(f, x, expected_g);
    std::vector<double> g(x.size());
    EXPECT_EQ(fn.gradient(std::span<const double>(x), std::span<double>(g)), expected) << what;
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(g[i], expected_g[i]) << what << ": d/dx" << i;
    EXPECT_EQ(fn.value(std::span<const double>(x)), expected) << what;
  }
  EXPECT_EQ(fn.rerecordings(), 0U) << what << ": " << fn.last_change();
  return fn.num_periodic_blocks();
}

std::vector<std::vector<double>> points_in(std::size_t n, double lo, double hi) {
  return {random_point(n, lo, hi, 1), random_point(n, lo, hi, 2), random_point(n, lo, hi, 3)};
}

TEST(PeriodicBlocks, NamedTemporariesReplayToTheBitsOfAFreshRecording) {
  const Function rosenbrock = [](std::span<const Var> x) {
    Var f = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      Var a = x[i + 1] - x[i] * x[i];
      Var b = 1.0 - x[i];
      f += 100.0 * a * a + b * b;
    }
    return f;
  };
  // The first and last terms have other shapes: the block is the middle.
  const Function broyden = [](std::span<const Var> x) {
    Var f = 0.0;
    const std::size_t n = x.size();
    for (std::size_t i = 0; i < n; ++i) {
      Var r = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
      if (i > 0) r -= x[i - 1];
      if (i + 1 < n) r -= 2.0 * x[i + 1];
      f += tg::square(r);
    }
    return f;
  };
  // Two sums built in one loop, and a temporary read twice in its own iteration.
  const Function two_sums = [](std::span<const Var> x) {
    Var s = 0.0, p = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      Var e = tg::exp(x[i] * 0.5);
      Var l = tg::log1p(e);
      s += l * e;
      p += tg::sin(l) / (1.0 + e);
    }
    return Var(s * p);
  };
  // A Var made from a number in the body: an input statement in every iteration.
  const Function weighted = [](std::span<const Var> x) {
    Var f = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      Var w = 0.5 + 0.25 * static_cast<double>(i % 3);
      Var a = x[i] * w;
      f += tg::sin(a) * a;
    }
    return f;
  };
  EXPECT_GE(expect_bits_of_fresh(rosenbrock, points_in(40, -1.5, 1.5), "Rosenbrock"), 1U);
  EXPECT_GE(expect_bits_of_fresh(weighted, points_in(40, -2, 2), "weights made from numbers"), 1U);
  EXPECT_GE(expect_bits_of_fresh(broyden, points_in(40, -2, 2), "Broyden"), 1U);
  EXPECT_GE(expect_bits_of_fresh(two_sums, points_in(40, -3, 3), "two sums"), 1U);
}

// y = sin(y·x[i]) + x[i]: each iteration's first statement reads the last one of the
// iteration before, which column order would not have computed yet.
TEST(PeriodicBlocks, ALoopThatCarriesATemporaryIsReplayedInOrder) {
  const Function recurrence = [](std::span<const Var> x) {
    Var y = x[0];
    for (std::size_t i = 1; i < x.size(); ++i) {
      Var a = y * x[i];
      y = tg::sin(a) + x[i];
    }
    return y;
  };
  EXPECT_EQ(expect_bits_of_fresh(recurrence, points_in(30, -1, 1), "recurrence"), 0U);
}

// Column order meets the kink of term 6 (column 0) before that of term 2 (column 1);
// recording order meets term 2's first, and that is the one reported.
TEST(PeriodicBlocks, TheFirstChangedKinkInRecordingOrderIsReported) {
  const Function f = [](std::span<const Var> x) {
    Var s = 0.0;
    for (std::size_t i = 0; 2 * i + 1 < x.size(); ++i) {
      Var u = tg::abs(x[2 * i]) * 3.0;
      Var v = tg::abs(x[2 * i + 1]) * u;
      s += v;
    }
    return s;
  };
  std::vector<double> x(24, 1.0);
  tg::RecordedFunction fn(f, std::span<const double>(x), {.on_branch_change = tg::OnBranchChange::Throw});
  ASSERT_GE(fn.num_periodic_blocks(), 1U);
  x[2 * 6] = -1;      // x[12], statement 13: column 0 of term 6
  x[2 * 2 + 1] = -1;  // x[5], statement 6: column 1 of term 2
  try {
    fn.gradient(std::span<const double>(x));
    FAIL() << "no BranchChanged";
  } catch (const tg::BranchChanged& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("abs in (abs(v6) * v"), std::string::npos) << message;
    EXPECT_EQ(message.find("v13"), std::string::npos) << message;
  }
  // Recorded again there instead, the replay equals a fresh recording.
  tg::RecordedFunction again(f, std::span<const double>(std::vector<double>(24, 1.0)));
  expect_recorded_again_as_fresh(again, f, x);
}

// A comparison in the body ends a block: it is checked where recording made it, so a
// point where it comes out otherwise records again and still equals a fresh recording.
TEST(PeriodicBlocks, AComparisonInTheLoopBodyStillGuardsTheReplay) {
  const Function f = [](std::span<const Var> x) {
    Var s = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      Var a = x[i] * x[i];
      Var b = tg::cos(a);
      if (b > 0.5)
        s += a * b;
      else
        s -= b;
    }
    return s;
  };
  const std::vector<double> near_zero = random_point(30, -0.3, 0.3, 4);
  tg::RecordedFunction fn(f, std::span<const double>(near_zero));
  expect_recorded_again_as_fresh(fn, f, random_point(30, -2, 2, 5));
}

}  // namespace
