// Reassociated sums (RecordOptions::reassociate_sums): accumulation loops found as sum
// runs, replayed as sums, and their values and gradients equal to a fresh recording's up
// to rounding, whatever the loop's shape; a partial sum read elsewhere, a comparison
// inside the loop or a kink that changes side is still handled exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <tapegrad/autodiff/replay/recorded_function.hpp>
#include <vector>

#include "fresh_recording.hpp"

namespace {

namespace tg = tapegrad;
using replay_testing::fresh_gradient;
using replay_testing::random_point;
using tg::Var;
using SumFunction = replay_testing::Function;

// Records f at points[0] with reassociated sums; expects at least `min_runs` sum runs and,
// at every point, the value and gradient of a fresh recording to within rounding: a
// relative 1e-12 of the sum of the magnitudes involved, which bounds any order of adding.
void expect_sums_match_fresh(const SumFunction& f, const std::vector<std::vector<double>>& points,
                             std::size_t min_runs, const std::string& what) {
  tg::RecordedFunction fn(f, std::span<const double>(points[0]), {.reassociate_sums = true});
  EXPECT_GE(fn.num_sum_runs(), min_runs) << what;
  for (const std::vector<double>& x : points) {
    std::vector<double> expected_g;
    const double expected = fresh_gradient(f, x, expected_g);
    std::vector<double> g(x.size());
    const double value = fn.gradient(std::span<const double>(x), std::span<double>(g));
    double g_scale = 1;
    for (const double d : expected_g) g_scale = std::max(g_scale, std::abs(d));
    EXPECT_NEAR(value, expected, 1e-12 * x.size() * std::max(1.0, std::abs(expected))) << what;
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_NEAR(g[i], expected_g[i], 1e-12 * x.size() * g_scale) << what << ": d/dx" << i;
    EXPECT_NEAR(fn.value(std::span<const double>(x)), expected,
                1e-12 * x.size() * std::max(1.0, std::abs(expected)))
        << what;
  }
}

std::vector<std::vector<double>> three_random_points(std::size_t n, double lo, double hi) {
  return {random_point(n, lo, hi, 1), random_point(n, lo, hi, 2), random_point(n, lo, hi, 3)};
}

// The ADBenchmark shapes: a parameter in every term, an input per term, neighbours
// sharing inputs, sums nested in a sum.
TEST(SumRuns, AccumulationLoopsAgreeWithAFreshRecording) {
  expect_sums_match_fresh(
      [](std::span<const Var> x) {
        Var s = tg::exp(x[0]);
        for (std::size_t i = 1; i < x.size(); ++i) s += tg::exp(x[i]);
        return tg::log(s);
      },
      three_random_points(300, -1, 1), 1, "log_sum_exp");
  expect_sums_match_fresh(
      [](std::span<const Var> p) {
        Var z2 = tg::square(0.25 - p[0]);
        for (int i = 1; i < 500; ++i) z2 += tg::square(std::sin(i) - p[0]);
        return -0.5 * z2 / (p[1] * p[1]) - 500.0 * tg::log(p[1]);
      },
      {{0.1, 1.3}, {-0.4, 0.7}, {2.0, 3.0}}, 1, "normal_log_pdf");
  expect_sums_match_fresh(
      [](std::span<const Var> x) {
        Var f = 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
        for (std::size_t i = 1; i + 1 < x.size(); ++i)
          f += 100.0 * tg::square(x[i + 1] - tg::square(x[i])) + tg::square(1.0 - x[i]);
        return f;
      },
      three_random_points(200, -1.5, 1.5), 1, "rosenbrock");
  constexpr std::size_t n = 12;
  expect_sums_match_fresh(
      [](std::span<const Var> w) {
        Var f = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
          Var a = w[j * n] * std::cos(0.0);
          for (std::size_t k = 1; k < n; ++k) a += w[j * n + k] * std::cos(double(k));
          f += tg::sigmoid(a);
        }
        return f;
      },
      three_random_points(n * n, -0.5, 0.5), n, "sigmoid layer");
}

// `term + chain` and `chain - term`; the chain starting from an input that is also the
// fixed operand of every term; constants added; a product (not a sum) left alone.
TEST(SumRuns, EveryShapeOfAStepAgrees) {
  expect_sums_match_fresh(
      [](std::span<const Var> x) {
        Var f = x[0];
        for (std::size_t i = 1; i < x.size(); ++i) f = x[i] * x[0] + f;
        Var g = f;
        for (std::size_t i = 1; i < x.size(); ++i) g -= tg::square(x[i] - x[0]);
        Var h = g;
        for (int i = 0; i < 10; ++i) h += 0.5;
        return h;
      },
      three_random_points(50, -2, 2), 3, "term + chain, chain - term, + constant");
  expect_sums_match_fresh(
      [](std::span<const Var> x) {
        Var f = x[0];
        for (std::size_t i = 1; i < x.size(); ++i) f *= x[i];
        return f;
      },
      {random_point(20, 0.9, 1.1, 4), random_point(20, 0.9, 1.1, 5)}, 0, "product");
  tg::RecordedFunction product(
      [](std::span<const Var> x) {
        Var f = x[0];
        for (std::size_t i = 1; i < x.size(); ++i) f *= x[i];
        return f;
      },
      std::span<const double>(random_point(20, 0.9, 1.1, 4)), {.reassociate_sums = true});
  EXPECT_EQ(product.num_sum_runs(), 0U);
}

// How the terms name their operands decides how a run is replayed: consecutive inputs
// (read without the tape's indices; arithmetic terms computed again in the reverse sweep
// rather than stored), every other input, backwards, shuffled (read through the indices),
// an operand in every term beside ones that vary, constants that change from term to
// term or only once. Each must agree with a fresh recording.
TEST(SumRuns, EveryPatternOfOperandsAgrees) {
  constexpr std::size_t n = 301;  // odd: a run with an odd number of terms too
  std::vector<std::size_t> shuffled(n);
  for (std::size_t i = 0; i < n; ++i) shuffled[i] = (i * 7919) % n;  // 7919 is prime: a permutation
  const auto points = three_random_points(n, -1.5, 1.5);
  const std::vector<std::pair<std::string, SumFunction>> cases = {
      {"every other input, two per term",
       [](std::span<const Var> x) {
         Var s = tg::square(x[0] - x[1]);
         for (std::size_t i = 2; i + 1 < x.size(); i += 2) s += tg::square(x[i] - 2.0 * x[i + 1]);
         return s;
       }},
      {"backwards",
       [](std::span<const Var> x) {
         Var s = x[x.size() - 1] * x[x.size() - 1];
         for (std::size_t i = x.size() - 1; i-- > 0;) s += 3.0 * tg::square(x[i]);
         return s;
       }},
      {"shuffled, arithmetic",
       [&shuffled](std::span<const Var> x) {
         Var s = tg::square(x[shuffled[0]]);
         for (std::size_t i = 1; i < x.size(); ++i) s += x[shuffled[i]] * x[shuffled[(i + 1) % x.size()]];
         return s;
       }},
      {"shuffled, exp",
       [&shuffled](std::span<const Var> x) {
         Var s = tg::exp(x[shuffled[0]]);
         for (std::size_t i = 1; i < x.size(); ++i) s += tg::exp(x[shuffled[i]]);
         return tg::log(s);
       }},
      {"a fixed operand beside two that vary",
       [](std::span<const Var> x) {
         Var s = x[1] * x[2] * x[0];
         for (std::size_t i = 2; i + 1 < x.size(); ++i) s += x[i] * x[i + 1] * x[0] - x[0];
         return s;
       }},
      {"a fixed operand beside one that varies, exp",
       [](std::span<const Var> x) {
         Var s = tg::exp(x[1] - x[0]);
         for (std::size_t i = 2; i < x.size(); ++i) s += tg::exp(x[i] - x[0]);
         return s;
       }},
      {"constants that change every term",
       [](std::span<const Var> x) {
         Var s = std::cos(0.0) * x[0];
         for (std::size_t i = 1; i < x.size(); ++i) s += std::cos(double(i)) * x[i] * x[i];
         return s;
       }},
      {"constants that change once",
       [](std::span<const Var> x) {
         Var s = 2.0 * tg::square(x[0] - 1.0);
         for (std::size_t i = 1; i < x.size(); ++i) s += (i == 100 ? 3.0 : 2.0) * tg::square(x[i] - 1.0);
         return s;
       }},
  };
  for (const auto& [what, f] : cases) expect_sums_match_fresh(f, points, 1, what);
}

// A partial sum read by something else ends the run there: the value read must be the
// true partial sum.
TEST(SumRuns, APartialSumReadElsewhereIsComputed) {
  const SumFunction f = [](std::span<const Var> x) {
    Var s = tg::square(x[0]);
    Var middle;
    for (std::size_t i = 1; i < x.size(); ++i) {
      s += tg::square(x[i]);
      if (i == x.size() / 2) middle = s;
    }
    return s * middle;
  };
  expect_sums_match_fresh(f, three_random_points(100, -1, 1), 2, "a partial sum read later");
  tg::RecordedFunction fn(f, std::span<const double>(random_point(100, -1, 1, 1)),
                          {.reassociate_sums = true});
  EXPECT_EQ(fn.num_sum_runs(), 2U);
  // Read after the second term: the steps before it are too few for a run, and the run
  // after them must still be replayed as one (its sum of x[0]'s partials included).
  const SumFunction early = [](std::span<const Var> x) {
    Var s = tg::square(x[0]);
    Var second;
    for (std::size_t i = 1; i < x.size(); ++i) {
      s += tg::square(x[i] - x[0]);
      if (i == 2) second = s;
    }
    return s * second;
  };
  expect_sums_match_fresh(early, three_random_points(60, -1, 1), 1, "a partial sum read after two terms");
}

// A comparison inside the loop splits the runs and is still checked; a kink in a term
// that changes side is caught, and the function recorded again gives the fresh result.
TEST(SumRuns, BranchesAndKinksInsideASumAreCaught) {
  const SumFunction clipped = [](std::span<const Var> x) {
    Var s = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      s += tg::square(x[i]);
      if (i % 10 == 9 && s > 4.0) s = 4.0 + 0.5 * (s - 4.0);
    }
    return s;
  };
  expect_sums_match_fresh(clipped, {random_point(40, -0.2, 0.2, 6), random_point(40, -1, 1, 7)}, 1,
                          "a comparison of the partial sums");
  const SumFunction absolute = [](std::span<const Var> x) {
    Var s = tg::abs(x[0]);
    for (std::size_t i = 1; i < x.size(); ++i) s += tg::abs(x[i]) * x[0];
    return s;
  };
  tg::RecordedFunction fn(absolute, std::span<const double>(random_point(30, 0.5, 1, 8)),
                          {.reassociate_sums = true});
  EXPECT_EQ(fn.num_sum_runs(), 1U);
  std::vector<double> x = random_point(30, 0.5, 1, 9);
  x[17] = -x[17];
  std::vector<double> expected_g;
  const double expected = fresh_gradient(absolute, x, expected_g);
  const std::vector<double> g = fn.gradient(x);
  EXPECT_EQ(fn.rerecordings(), 1U);
  EXPECT_NE(fn.last_change().find("abs"), std::string::npos) << fn.last_change();
  EXPECT_NEAR(fn.value(x), expected, 1e-12 * 30);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(g[i], expected_g[i], 1e-12 * 30) << i;
}

// Hessian-vector products do not reassociate: they stay those of the exact replay.
TEST(SumRuns, HessianVectorProductsAreUnchanged) {
  const SumFunction f = [](std::span<const Var> x) {
    Var s = tg::exp(x[0]);
    for (std::size_t i = 1; i < x.size(); ++i) s += tg::exp(x[i]) * x[0];
    return tg::log(s);
  };
  const std::vector<double> x0 = random_point(20, -1, 1, 10), v = random_point(20, -1, 1, 11);
  tg::RecordedFunction exact(f, std::span<const double>(x0));
  tg::RecordedFunction sums(f, std::span<const double>(x0), {.reassociate_sums = true});
  EXPECT_GE(sums.num_sum_runs(), 1U);
  EXPECT_EQ(exact.hvp(x0, v), sums.hvp(x0, v));
}

}  // namespace
