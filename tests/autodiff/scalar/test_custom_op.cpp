// User-defined operations, with local partials or with a backward function, compose
// with built-ins exactly as built-ins do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
using tg::Var;

namespace {

// norm(x) = sqrt(Σ x_i²) with ∂/∂x_i = x_i / norm, supplied as partials.
Var norm_with_partials(const std::vector<Var>& x) {
  double sum = 0;
  for (const Var& xi : x) sum += xi.value() * xi.value();
  const double n = std::sqrt(sum);
  std::vector<double> partials;
  for (const Var& xi : x) partials.push_back(xi.value() / n);
  return tg::custom_op(n, x, partials);
}

// The same, supplied as a backward function.
Var norm_with_backward(const std::vector<Var>& x) {
  std::vector<double> values;
  for (const Var& xi : x) values.push_back(xi.value());
  double sum = 0;
  for (double v : values) sum += v * v;
  const double n = std::sqrt(sum);
  return tg::custom_op(n, x, [values, n](const double& out_adjoint, std::span<double> in_adjoints) {
    for (std::size_t i = 0; i < values.size(); ++i) in_adjoints[i] += out_adjoint * values[i] / n;
  });
}

TEST(CustomOp, PartialsAndBackwardAgreeWithTheFormula) {
  const std::vector<double> point{1.0, -2.0, 2.0};  // norm 3
  for (auto op : {norm_with_partials, norm_with_backward}) {
    const tg::GradientCheck check = tg::check_gradient(op, point);
    EXPECT_EQ(check.value, 3.0);
    EXPECT_DOUBLE_EQ(check.gradient[0], 1.0 / 3);
    EXPECT_DOUBLE_EQ(check.gradient[1], -2.0 / 3);
    EXPECT_DOUBLE_EQ(check.gradient[2], 2.0 / 3);
    EXPECT_LT(check.max_rel_error, 1e-9);
  }
}

// Composed with built-ins on both sides: f = exp(norm(x0·x1, x1, x2)) · x0.
TEST(CustomOp, ComposesWithBuiltIns) {
  for (auto op : {norm_with_partials, norm_with_backward}) {
    const auto f = [op](const std::vector<Var>& x) {
      return Var(tg::exp(op({Var(x[0] * x[1]), x[1], x[2]})) * x[0]);
    };
    const tg::GradientCheck check = tg::check_gradient(f, {0.5, -1.5, 0.75});
    EXPECT_LT(check.max_rel_error, 1e-9);
  }
}

// An input listed twice receives both contributions.
TEST(CustomOp, RepeatedInputAccumulates) {
  tg::Tape tape;
  Var x = 3.0;
  Var y = tg::custom_op(9.0, {x, x}, std::vector<double>{3.0, 3.0});  // x·x
  EXPECT_EQ(tg::gradient(y, {x})[0], 6.0);
  Var z = tg::custom_op(9.0, {x, x}, [](const double& a, std::span<double> in) {
    in[0] += 3 * a;
    in[1] += 3 * a;
  });
  EXPECT_EQ(tg::gradient(z, {x})[0], 6.0);
}

// Several backward functions in one sweep, interleaved with ordinary statements.
TEST(CustomOp, SeveralInOneSweep) {
  tg::Tape tape;
  Var x = 2.0;
  auto twice = [](const Var& v) {
    return tg::custom_op(2 * v.value(), {v}, [](const double& a, std::span<double> in) { in[0] += 2 * a; });
  };
  Var y = twice(x) * x;  // 2x²
  Var z = twice(y) + y;  // 6x²
  Var w = twice(z * z);  // 72x⁴, d/dx = 288x³ = 2304
  EXPECT_EQ(w.value(), 72 * 16.0);
  EXPECT_EQ(tg::gradient(w, {x})[0], 2304.0);
  tape.backward(w);
  EXPECT_EQ(x.adjoint(), 2304.0);
}

TEST(CustomOp, MismatchedPartialsAreRefused) {
  tg::Tape tape;
  Var x = 1.0, y = 2.0;
  try {
    (void)tg::custom_op(1.0, {x, y}, std::vector<double>{1.0});
    FAIL() << "no error";
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("2 inputs but 1 partials"));
  }
}

}  // namespace
