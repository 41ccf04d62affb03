// digamma and trigamma against values derived independently of their implementation:
// closed forms at 1, 1/2 and 1/4 (Abramowitz & Stegun 6.3.2, 6.3.3, 6.4.2, 6.4.4), the
// harmonic sums ψ(n+1) = H_n − γ and ψ₁(n+1) = π²/6 − Σ_{k≤n} 1/k² summed directly,
// and finite differences of std::lgamma (ψ = (log Γ)') and of the rule's own digamma
// (ψ₁ = ψ'); then the new rules' values and derivatives through the tape, by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
using tg::Var;
using tg::special::digamma;
using tg::special::trigamma;

namespace {

constexpr double euler_gamma = 0.57721566490153286060651209008240243;
constexpr double catalan = 0.91596559417721901505460351493238411;
constexpr double pi = std::numbers::pi;
constexpr double ln2 = std::numbers::ln2;

void expect_close(double actual, double expected, double relative, const char* what, double x) {
  EXPECT_NEAR(actual, expected, relative * std::max(1.0, std::abs(expected))) << what << " at " << x;
}

TEST(Digamma, ClosedForms) {
  expect_close(digamma(1.0), -euler_gamma, 4e-15, "psi", 1);
  expect_close(digamma(0.5), -euler_gamma - 2 * ln2, 4e-15, "psi", 0.5);
  expect_close(digamma(0.25), -euler_gamma - pi / 2 - 3 * ln2, 4e-15, "psi", 0.25);
  // ψ(x + 1) = ψ(x) + 1/x read backwards into the reflection branch.
  expect_close(digamma(-0.5), -euler_gamma - 2 * ln2 + 2, 1e-14, "psi", -0.5);
  expect_close(digamma(-1.5), -euler_gamma - 2 * ln2 + 2 + 2.0 / 3, 1e-14, "psi", -1.5);
}

TEST(Digamma, HarmonicNumbers) {
  double harmonic = 0;
  for (int n = 1; n <= 1000; ++n) {
    harmonic += 1.0 / n;
    if (n <= 30 || n % 97 == 0) expect_close(digamma(n + 1.0), harmonic - euler_gamma, 4e-15, "psi", n + 1);
  }
}

TEST(Digamma, IsTheDerivativeOfLgamma) {
  for (double x = -4.75; x < 30; x += 0.37) {
    if (std::abs(x - std::nearbyint(x)) < 0.05) continue;
    const double h = 1e-4 * std::max(1.0, std::abs(x));
    const double fd =
        (8 * (std::lgamma(x + h) - std::lgamma(x - h)) - (std::lgamma(x + 2 * h) - std::lgamma(x - 2 * h))) /
        (12 * h);
    expect_close(digamma(x), fd, 1e-9, "psi vs d/dx lgamma", x);
  }
}

TEST(Digamma, Poles) {
  EXPECT_EQ(digamma(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(digamma(-1.0)));
  EXPECT_TRUE(std::isnan(digamma(-7.0)));
  EXPECT_TRUE(std::isnan(digamma(std::numeric_limits<double>::quiet_NaN())));
}

TEST(Trigamma, ClosedForms) {
  expect_close(trigamma(1.0), pi * pi / 6, 1e-15, "psi1", 1);
  expect_close(trigamma(0.5), pi * pi / 2, 1e-15, "psi1", 0.5);
  expect_close(trigamma(0.25), pi * pi + 8 * catalan, 1e-15, "psi1", 0.25);
  expect_close(trigamma(-0.5), pi * pi / 2 + 4, 1e-14, "psi1", -0.5);
}

TEST(Trigamma, SumsOfInverseSquares) {
  double sum = 0;
  for (int n = 1; n <= 1000; ++n) {
    sum += 1.0 / (static_cast<double>(n) * n);
    if (n <= 30 || n % 97 == 0) expect_close(trigamma(n + 1.0), pi * pi / 6 - sum, 1e-13, "psi1", n + 1);
  }
}

TEST(Trigamma, IsTheDerivativeOfDigamma) {
  for (double x = -3.8; x < 30; x += 0.41) {
    if (std::abs(x - std::nearbyint(x)) < 0.05) continue;
    const double h = 1e-4 * std::max(1.0, std::abs(x));
    const double fd =
        (8 * (digamma(x + h) - digamma(x - h)) - (digamma(x + 2 * h) - digamma(x - 2 * h))) / (12 * h);
    expect_close(trigamma(x), fd, 1e-8, "psi1 vs d/dx psi", x);
  }
  EXPECT_EQ(trigamma(0.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(trigamma(-3.0), std::numeric_limits<double>::infinity());
}

TEST(Trigamma, FloatAgreesWithDouble) {
  for (float x : {0.3f, 1.0f, 2.5f, 7.0f, 42.0f, -0.5f})
    EXPECT_NEAR(trigamma(x), trigamma(static_cast<double>(x)), 2e-6 * trigamma(static_cast<double>(x)));
}

// ------------------------------------------------ the new rules, by hand, on the tape

double derivative(Var (*f)(const Var&), double x0) {
  tg::Tape tape;
  Var x = x0;
  return tg::gradient(f(x), {x})[0];
}

TEST(NewRules, DerivativesByHand) {
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::asinh(x)); }, 0.75), 1 / std::sqrt(1.5625), 1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::acosh(x)); }, 1.25), 1 / std::sqrt(0.5625), 1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::atanh(x)); }, 0.5), 1 / 0.75, 1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::log2(x)); }, 4), 1 / (4 * ln2), 1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::log10(x)); }, 5), 1 / (5 * std::numbers::ln10),
              1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::erfc(x)); }, 0), -2 / std::sqrt(pi), 1e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::lgamma(x)); }, 1), -euler_gamma, 4e-15);
  EXPECT_NEAR(derivative([](const Var& x) { return Var(tg::digamma(x)); }, 1), pi * pi / 6, 1e-14);
  for (double x0 : {-2.5, -0.3, 0.0, 0.5, 1.7})
    for (auto f :
         {+[](const Var& x) { return Var(tg::floor(x)); }, +[](const Var& x) { return Var(tg::ceil(x)); },
          +[](const Var& x) { return Var(tg::round(x)); }, +[](const Var& x) { return Var(tg::sign(x)); }})
      EXPECT_EQ(derivative(f, x0), 0.0) << x0;
}

TEST(NewRules, RoundBreaksTiesToEvenAndSignKeepsNan) {
  tg::Tape tape;
  EXPECT_EQ(Var(tg::round(Var(0.5))).value(), 0.0);
  EXPECT_EQ(Var(tg::round(Var(1.5))).value(), 2.0);
  EXPECT_EQ(Var(tg::round(Var(-2.5))).value(), -2.0);
  EXPECT_EQ(Var(tg::round(Var(2.6))).value(), 3.0);
  EXPECT_EQ(Var(tg::sign(Var(-0.0))).value(), 0.0);
  EXPECT_EQ(Var(tg::sign(Var(-3.0))).value(), -1.0);
  EXPECT_TRUE(std::isnan(Var(tg::sign(Var(std::numeric_limits<double>::quiet_NaN()))).value()));
}

// fmod(a, b) = a − trunc(a/b)·b: ∂/∂a = 1, ∂/∂b = −trunc(a/b).
TEST(NewRules, FmodByHand) {
  tg::Tape tape;
  Var a = 7.5, b = 2.0, c = -7.5;
  Var y = tg::fmod(a, b);
  EXPECT_EQ(y.value(), 1.5);
  EXPECT_EQ(tg::gradient(y, {a, b}), (std::vector<double>{1.0, -3.0}));
  Var z = tg::fmod(c, b);
  EXPECT_EQ(z.value(), -1.5);
  EXPECT_EQ(tg::gradient(z, {c, b}), (std::vector<double>{1.0, 3.0}));
}

// torch.clamp: x's gradient passes where lo <= x <= hi, bounds included; lo's where
// x < lo < hi; hi's where x > hi or hi < lo (then the value is hi).
// The value and the three partials. (Separate numbers: g++ 12 with -march=native
// folded the literal {1.0, 1, 0, 0} of a std::vector<double> here to {1, 1, 1, 1}.)
void expect_clamp(const std::vector<double>& got, double value, double d_x, double d_lo, double d_hi) {
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], value);
  EXPECT_EQ(got[1], d_x);
  EXPECT_EQ(got[2], d_lo);
  EXPECT_EQ(got[3], d_hi);
}

TEST(NewRules, ClampFollowsPyTorchAtTheBounds) {
  tg::Tape tape;
  const auto grads = [](double x0, double lo0, double hi0) {
    Var x = x0, lo = lo0, hi = hi0;
    Var y = tg::clamp(x, lo, hi);
    std::vector<double> g = tg::gradient(y, {x, lo, hi});
    g.insert(g.begin(), y.value());
    return g;
  };
  expect_clamp(grads(0.5, 0, 1), 0.5, 1, 0, 0);
  expect_clamp(grads(0.0, 0, 1), 0.0, 1, 0, 0);
  expect_clamp(grads(1.0, 0, 1), 1.0, 1, 0, 0);
  expect_clamp(grads(-2.0, 0, 1), 0.0, 0, 1, 0);
  expect_clamp(grads(3.0, 0, 1), 1.0, 0, 0, 1);
  expect_clamp(grads(0.5, 2, 1), 1.0, 0, 0, 1);
  Var x = 2.0;
  EXPECT_EQ(Var(tg::clamp(x, 0.0, 1.5)).value(), 1.5);
  EXPECT_EQ(tg::gradient(Var(tg::clamp(x, 0.0, 3.0)), {x})[0], 1.0);
}

}  // namespace
