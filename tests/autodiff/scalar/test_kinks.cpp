// The conventions at kinks and edges, as documented in autodiff/scalar/rules.hpp. Expected
// values are the documented conventions (PyTorch's, or the stated exceptions).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
using tg::Var;

namespace {

double derivative(Var (*f)(const Var&), double at) {
  tg::Tape tape;
  Var x = at;
  return tg::gradient(f(x), {x})[0];
}

TEST(Kinks, AbsHasZeroDerivativeAtZero) {
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::abs(x)); }, 0.0), 0.0);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::abs(x)); }, -0.0), 0.0);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::abs(x)); }, 2.0), 1.0);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::abs(x)); }, -2.0), -1.0);
}

TEST(Kinks, ReluHasZeroDerivativeAtZero) {
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::relu(x)); }, 0.0), 0.0);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::relu(x)); }, 1e-300), 1.0);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::relu(x)); }, -1e-300), 0.0);
}

// torch.maximum / torch.minimum split the gradient evenly between tied inputs.
TEST(Kinks, MaxAndMinSplitTheGradientAtATie) {
  tg::Tape tape;
  Var a = 1.5, b = 1.5;
  auto g = tg::gradient(Var(tg::max(a, b)), {a, b});
  EXPECT_EQ(g[0], 0.5);
  EXPECT_EQ(g[1], 0.5);
  g = tg::gradient(Var(tg::min(a, b)), {a, b});
  EXPECT_EQ(g[0], 0.5);
  EXPECT_EQ(g[1], 0.5);
  // Tie with a number: the Var receives half.
  EXPECT_EQ(tg::gradient(Var(tg::max(a, 1.5)), {a})[0], 0.5);
  EXPECT_EQ(tg::gradient(Var(tg::min(1.5, a)), {a})[0], 0.5);
  // No tie: all to the winner.
  Var c = 2.0;
  g = tg::gradient(Var(tg::max(a, c)), {a, c});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 1.0);
}

TEST(Kinks, MaxAndMinPropagateNaN) {
  tg::Tape tape;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Var a = nan, b = 1.0;
  EXPECT_TRUE(std::isnan(Var(tg::max(a, b)).value()));
  EXPECT_TRUE(std::isnan(Var(tg::max(b, a)).value()));
  EXPECT_TRUE(std::isnan(Var(tg::min(a, b)).value()));
  EXPECT_TRUE(std::isnan(Var(tg::min(b, a)).value()));
}

// d/da a^b = 0 when b = 0 (even at a = 0); d/db a^b = 0 when a = 0 and b >= 0.
TEST(Kinks, PowAtZero) {
  tg::Tape tape;
  Var a = 0.0, b = 0.0;
  auto g = tg::gradient(Var(tg::pow(a, b)), {a, b});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
  Var two = 2.0;
  g = tg::gradient(Var(tg::pow(a, two)), {a, two});
  EXPECT_EQ(g[0], 0.0);  // 2·0^1
  EXPECT_EQ(g[1], 0.0);  // 0^2·log 0 taken as 0
  EXPECT_EQ(tg::gradient(Var(tg::pow(a, 0)), {a})[0], 0.0);
}

// hypot(x, 0) = |x|, so at the origin both partials follow abs: 0 (not PyTorch's NaN).
TEST(Kinks, HypotAtTheOriginIsZero) {
  tg::Tape tape;
  Var a = 0.0, b = 0.0;
  auto g = tg::gradient(Var(tg::hypot(a, b)), {a, b});
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
}

TEST(Kinks, UnboundedDerivativesAreInfinite) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::sqrt(x)); }, 0.0), inf);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::log(x)); }, 0.0), inf);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::cbrt(x)); }, 0.0), inf);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::asin(x)); }, 1.0), inf);
  EXPECT_EQ(derivative([](const Var& x) { return Var(tg::acos(x)); }, 1.0), -inf);
}

// Stable at extreme arguments: no overflow to inf or NaN in value or derivative.
TEST(Kinks, SigmoidAndSoftplusAreStableAtExtremes) {
  tg::Tape tape;
  for (double x0 : {-1000.0, -50.0, 50.0, 1000.0}) {
    Var x = x0;
    Var s = tg::sigmoid(x);
    Var p = tg::softplus(x);
    const double sig = x0 > 0 ? 1.0 : std::exp(x0);  // exact to double precision here
    EXPECT_DOUBLE_EQ(s.value(), sig) << x0;
    EXPECT_DOUBLE_EQ(tg::gradient(s, {x})[0], sig * (1 - sig)) << x0;
    EXPECT_DOUBLE_EQ(p.value(), x0 > 0 ? x0 : std::exp(x0)) << x0;
    EXPECT_DOUBLE_EQ(tg::gradient(p, {x})[0], sig) << x0;
  }
}

TEST(Kinks, Atan2AtTheOriginIsNaN) {
  tg::Tape tape;
  Var a = 0.0, b = 0.0;
  auto g = tg::gradient(Var(tg::atan2(a, b)), {a, b});
  EXPECT_TRUE(std::isnan(g[0]));
  EXPECT_TRUE(std::isnan(g[1]));
}

}  // namespace
