// check_gradient's verdict at its stated tolerance, for double and float functions,
// and gradient()/jacobian() taking expressions as outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/autodiff/autodiff.hpp>

namespace tg = tapegrad;

TEST(CheckGradient, PassesACorrectGradientAndFailsAWrongOne) {
  const auto f = [](const std::vector<tg::Var>& x) { return tg::exp(x[0]) * tg::sin(x[1]); };
  const tg::GradientCheck good = tg::check_gradient(f, {0.3, 1.1});
  EXPECT_TRUE(good.passed);
  EXPECT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(good.tolerance, 1e-6);
  EXPECT_NEAR(good.gradient[0], std::exp(0.3) * std::sin(1.1), 1e-15);
  // An operation whose recorded partial is wrong by 1 %: d(wrong)/dx = 1.01·cos(x).
  const auto wrong = [](const std::vector<tg::Var>& x) {
    return tg::custom_op(std::sin(x[0].value()), {x[0]}, {1.01 * std::cos(x[0].value())});
  };
  const tg::GradientCheck bad = tg::check_gradient(wrong, {0.5});
  EXPECT_FALSE(bad.passed);
  EXPECT_NEAR(bad.max_rel_error, 0.01 / 1.01, 1e-6);
  // The same error passes a tolerance stated above it.
  EXPECT_TRUE(tg::check_gradient(wrong, {0.5}, {.tolerance = 0.02}).passed);
}

TEST(CheckGradient, ChecksFloatFunctions) {
  // A function for FloatVar only: checked on a float tape at float's tolerance.
  const auto float_only = [](const std::vector<tg::FloatVar>& x) {
    return tg::tanh(x[0]) * x[1] + x[1] * x[1];
  };
  const tg::GradientCheck f = tg::check_gradient(float_only, {0.4, -1.5});
  EXPECT_TRUE(f.passed) << f.max_rel_error;
  EXPECT_EQ(f.tolerance, 1e-3);
  EXPECT_NEAR(f.gradient[1], std::tanh(0.4) - 3.0, 1e-6);
  // A generic function: its float tape against finite differences in double.
  const auto generic = [](const auto& x) { return tg::log(x[0] * x[0] + 1.0f) / x[1]; };
  const tg::GradientCheck g = tg::check_float_gradient(generic, {2.0, 3.0});
  EXPECT_TRUE(g.passed) << g.max_rel_error;
  EXPECT_NEAR(g.finite_differences[0], 2 * 2.0 / 5.0 / 3.0, 1e-9);  // double precision differences
}

TEST(CheckGradient, NanFailsTheCheck) {
  const auto f = [](const std::vector<tg::Var>& x) { return tg::sqrt(x[0]); };
  EXPECT_FALSE(tg::check_gradient(f, {0.0}).passed);  // the finite differences step below 0
}

TEST(Gradient, TakesExpressionsAsOutputs) {
  tg::Tape tape;
  tg::Var x = 3.0, y = 2.0;
  EXPECT_EQ(tg::gradient(x * x, {x}), std::vector<double>{6.0});
  EXPECT_EQ(tg::gradient(x * y + tg::sin(y), {x, y}), (std::vector<double>{2.0, 3.0 + std::cos(2.0)}));
  const Eigen::MatrixXd j = tg::jacobian({x * 2.0, x * y, y}, {x, y});
  ASSERT_EQ(j.rows(), 3);
  EXPECT_EQ(j(0, 0), 2.0);
  EXPECT_EQ(j(0, 1), 0.0);
  EXPECT_EQ(j(1, 0), 2.0);
  EXPECT_EQ(j(1, 1), 3.0);
  EXPECT_EQ(j(2, 1), 1.0);
  tg::FloatTape float_tape;
  tg::FloatVar a = 1.5f;
  EXPECT_EQ(tg::gradient(a * a * a, {a}), std::vector<float>{3 * 1.5f * 1.5f});
}
