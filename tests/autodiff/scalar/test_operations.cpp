// Every operation gradient-checked against five-point finite differences in double at
// 24 random points of its domain (relative error at most 1e-7), in every operand form
// (Var with Var, Var with number, number with Var), and its value against <cmath>.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using tg::Var;

namespace {

constexpr int points_per_op = 24;
constexpr double max_relative_error = 1e-7;

struct Interval {
  double lo, hi;
};

// Random points with every coordinate in its interval, away from kinks by at least
// `gap` (|x| > gap for unary ops with a kink at 0; |a - b| > gap for max/min).
std::vector<std::vector<double>> random_points(std::vector<Interval> box, unsigned seed,
                                               std::function<bool(const std::vector<double>&)> accept) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> points;
  while (points.size() < points_per_op) {
    std::vector<double> p;
    for (const Interval& iv : box) p.push_back(std::uniform_real_distribution<double>(iv.lo, iv.hi)(rng));
    if (!accept || accept(p)) points.push_back(p);
  }
  return points;
}

void expect_gradient_matches(const std::string& name, const std::function<Var(const std::vector<Var>&)>& f,
                             const std::vector<std::vector<double>>& points) {
  for (const auto& p : points) {
    const tg::GradientCheck check = tg::check_gradient(f, p);
    ASSERT_LE(check.max_rel_error, max_relative_error)
        << name << " at x0 = " << p[0] << (p.size() > 1 ? ", x1 = " + std::to_string(p[1]) : "") << ": tape "
        << check.gradient[0] << ", finite differences " << check.finite_differences[0];
  }
}

struct UnaryCase {
  std::string name;
  std::function<Var(const Var&)> op;
  std::function<double(double)> reference;
  Interval domain;
  double gap = 0;  // keep |x| above this (kink at 0)
};

void PrintTo(const UnaryCase& c, std::ostream* os) { *os << c.name; }

class UnaryOperation : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryOperation, GradientMatchesFiniteDifferences) {
  const UnaryCase& c = GetParam();
  auto points = random_points({c.domain}, std::hash<std::string>{}(c.name),
                              [&](const std::vector<double>& p) { return std::abs(p[0]) > c.gap; });
  expect_gradient_matches(
      c.name, [&](const std::vector<Var>& x) { return c.op(x[0]); }, points);
}

TEST_P(UnaryOperation, ValueMatchesCmath) {
  const UnaryCase& c = GetParam();
  tg::Tape tape;
  auto points = random_points({c.domain}, 7, nullptr);
  for (const auto& p : points) {
    Var x = p[0];
    EXPECT_NEAR(c.op(x).value(), c.reference(p[0]), 1e-14 * std::max(1.0, std::abs(c.reference(p[0]))))
        << c.name << " at " << p[0];
  }
}

// Also through an intermediate Var (op applied to 0.5·x + 0.25): the chain rule across
// statements.
TEST_P(UnaryOperation, ChainsThroughAnIntermediateVar) {
  const UnaryCase& c = GetParam();
  auto points = random_points({c.domain}, 11, [&](const std::vector<double>& p) {
    const double inner = 0.5 * p[0] + 0.25;
    return std::abs(inner) > c.gap && inner > c.domain.lo && inner < c.domain.hi;
  });
  expect_gradient_matches(
      c.name + " composite", [&](const std::vector<Var>& x) { return c.op(Var(0.5 * x[0] + 0.25)); }, points);
}

INSTANTIATE_TEST_SUITE_P(
    AllUnary, UnaryOperation,
    ::testing::Values(UnaryCase{
                          "neg", [](const Var& x) { return Var(-x); }, [](double x) { return -x; }, {-5, 5}},
                      UnaryCase{"exp",
                                [](const Var& x) { return Var(tg::exp(x)); },
                                [](double x) { return std::exp(x); },
                                {-5, 5}},
                      UnaryCase{"log",
                                [](const Var& x) { return Var(tg::log(x)); },
                                [](double x) { return std::log(x); },
                                {0.1, 10}},
                      UnaryCase{"log1p",
                                [](const Var& x) { return Var(tg::log1p(x)); },
                                [](double x) { return std::log1p(x); },
                                {-0.9, 10}},
                      UnaryCase{"expm1",
                                [](const Var& x) { return Var(tg::expm1(x)); },
                                [](double x) { return std::expm1(x); },
                                {-5, 5}},
                      UnaryCase{"sqrt",
                                [](const Var& x) { return Var(tg::sqrt(x)); },
                                [](double x) { return std::sqrt(x); },
                                {0.1, 10}},
                      UnaryCase{"cbrt",
                                [](const Var& x) { return Var(tg::cbrt(x)); },
                                [](double x) { return std::cbrt(x); },
                                {-10, 10},
                                0.1},
                      UnaryCase{"square",
                                [](const Var& x) { return Var(tg::square(x)); },
                                [](double x) { return x * x; },
                                {-5, 5}},
                      UnaryCase{"abs",
                                [](const Var& x) { return Var(tg::abs(x)); },
                                [](double x) { return std::abs(x); },
                                {-5, 5},
                                0.01},
                      UnaryCase{"sin",
                                [](const Var& x) { return Var(tg::sin(x)); },
                                [](double x) { return std::sin(x); },
                                {-5, 5}},
                      UnaryCase{"cos",
                                [](const Var& x) { return Var(tg::cos(x)); },
                                [](double x) { return std::cos(x); },
                                {-5, 5}},
                      UnaryCase{"tan",
                                [](const Var& x) { return Var(tg::tan(x)); },
                                [](double x) { return std::tan(x); },
                                {-1.4, 1.4}},
                      UnaryCase{"asin",
                                [](const Var& x) { return Var(tg::asin(x)); },
                                [](double x) { return std::asin(x); },
                                {-0.9, 0.9}},
                      UnaryCase{"acos",
                                [](const Var& x) { return Var(tg::acos(x)); },
                                [](double x) { return std::acos(x); },
                                {-0.9, 0.9}},
                      UnaryCase{"atan",
                                [](const Var& x) { return Var(tg::atan(x)); },
                                [](double x) { return std::atan(x); },
                                {-5, 5}},
                      UnaryCase{"sinh",
                                [](const Var& x) { return Var(tg::sinh(x)); },
                                [](double x) { return std::sinh(x); },
                                {-3, 3}},
                      UnaryCase{"cosh",
                                [](const Var& x) { return Var(tg::cosh(x)); },
                                [](double x) { return std::cosh(x); },
                                {-3, 3}},
                      UnaryCase{"tanh",
                                [](const Var& x) { return Var(tg::tanh(x)); },
                                [](double x) { return std::tanh(x); },
                                {-3, 3}},
                      UnaryCase{"sigmoid",
                                [](const Var& x) { return Var(tg::sigmoid(x)); },
                                [](double x) { return 1 / (1 + std::exp(-x)); },
                                {-10, 10}},
                      UnaryCase{"softplus",
                                [](const Var& x) { return Var(tg::softplus(x)); },
                                [](double x) { return std::log1p(std::exp(x)); },
                                {-10, 10}},
                      UnaryCase{"relu",
                                [](const Var& x) { return Var(tg::relu(x)); },
                                [](double x) { return x > 0 ? x : 0.0; },
                                {-5, 5},
                                0.01},
                      UnaryCase{"erf",
                                [](const Var& x) { return Var(tg::erf(x)); },
                                [](double x) { return std::erf(x); },
                                {-3, 3}},
                      UnaryCase{"asinh",
                                [](const Var& x) { return Var(tg::asinh(x)); },
                                [](double x) { return std::asinh(x); },
                                {-5, 5}},
                      UnaryCase{"acosh",
                                [](const Var& x) { return Var(tg::acosh(x)); },
                                [](double x) { return std::acosh(x); },
                                {1.1, 10}},
                      UnaryCase{"atanh",
                                [](const Var& x) { return Var(tg::atanh(x)); },
                                [](double x) { return std::atanh(x); },
                                {-0.9, 0.9}},
                      UnaryCase{"log2",
                                [](const Var& x) { return Var(tg::log2(x)); },
                                [](double x) { return std::log2(x); },
                                {0.1, 10}},
                      UnaryCase{"log10",
                                [](const Var& x) { return Var(tg::log10(x)); },
                                [](double x) { return std::log10(x); },
                                {0.1, 10}},
                      UnaryCase{"erfc",
                                [](const Var& x) { return Var(tg::erfc(x)); },
                                [](double x) { return std::erfc(x); },
                                {-3, 3}},
                      UnaryCase{"lgamma",
                                [](const Var& x) { return Var(tg::lgamma(x)); },
                                [](double x) { return std::lgamma(x); },
                                {0.2, 10}},
                      UnaryCase{"pow_x_2.5",
                                [](const Var& x) { return Var(tg::pow(x, 2.5)); },
                                [](double x) { return std::pow(x, 2.5); },
                                {0.1, 5}},
                      UnaryCase{"pow_1.7_x",
                                [](const Var& x) { return Var(tg::pow(1.7, x)); },
                                [](double x) { return std::pow(1.7, x); },
                                {-4, 4}},
                      UnaryCase{"pow_x_int3",
                                [](const Var& x) { return Var(tg::pow(x, 3)); },
                                [](double x) { return x * x * x; },
                                {-3, 3}},
                      UnaryCase{"sin_pi_x",
                                [](const Var& x) { return Var(tg::sin(std::numbers::pi * x)); },
                                [](double x) { return std::sin(std::numbers::pi * x); },
                                {-1, 1}}),
    [](const ::testing::TestParamInfo<UnaryCase>& param_info) {
      std::string n = param_info.param.name;
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

struct BinaryCase {
  std::string name;
  std::function<Var(const Var&, const Var&)> var_var;
  std::function<Var(const Var&, double)> var_number;
  std::function<Var(double, const Var&)> number_var;
  std::function<double(double, double)> reference;
  Interval a, b;
  std::function<bool(double, double)> accept;  // keeps points away from kinks and cuts
};

void PrintTo(const BinaryCase& c, std::ostream* os) { *os << c.name; }

class BinaryOperation : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryOperation, GradientMatchesFiniteDifferencesInEveryForm) {
  const BinaryCase& c = GetParam();
  auto points =
      random_points({c.a, c.b}, std::hash<std::string>{}(c.name),
                    [&](const std::vector<double>& p) { return !c.accept || c.accept(p[0], p[1]); });
  expect_gradient_matches(
      c.name + "(Var, Var)", [&](const std::vector<Var>& x) { return c.var_var(x[0], x[1]); }, points);
  for (const auto& p : points) {
    expect_gradient_matches(c.name + "(Var, number)",
                            [&](const std::vector<Var>& x) { return c.var_number(x[0], p[1]); }, {{p[0]}});
    expect_gradient_matches(c.name + "(number, Var)",
                            [&](const std::vector<Var>& x) { return c.number_var(p[0], x[0]); }, {{p[1]}});
  }
}

TEST_P(BinaryOperation, ValueMatchesCmathInEveryForm) {
  const BinaryCase& c = GetParam();
  tg::Tape tape;
  auto points = random_points({c.a, c.b}, 5, nullptr);
  for (const auto& p : points) {
    Var a = p[0], b = p[1];
    const double expected = c.reference(p[0], p[1]);
    EXPECT_DOUBLE_EQ(c.var_var(a, b).value(), expected) << c.name;
    EXPECT_DOUBLE_EQ(c.var_number(a, p[1]).value(), expected) << c.name;
    EXPECT_DOUBLE_EQ(c.number_var(p[0], b).value(), expected) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllBinary, BinaryOperation,
    ::testing::Values(BinaryCase{"add",
                                 [](const Var& a, const Var& b) { return Var(a + b); },
                                 [](const Var& a, double b) { return Var(a + b); },
                                 [](double a, const Var& b) { return Var(a + b); },
                                 [](double a, double b) { return a + b; },
                                 {-5, 5},
                                 {-5, 5},
                                 nullptr},
                      BinaryCase{"sub",
                                 [](const Var& a, const Var& b) { return Var(a - b); },
                                 [](const Var& a, double b) { return Var(a - b); },
                                 [](double a, const Var& b) { return Var(a - b); },
                                 [](double a, double b) { return a - b; },
                                 {-5, 5},
                                 {-5, 5},
                                 nullptr},
                      BinaryCase{"mul",
                                 [](const Var& a, const Var& b) { return Var(a * b); },
                                 [](const Var& a, double b) { return Var(a * b); },
                                 [](double a, const Var& b) { return Var(a * b); },
                                 [](double a, double b) { return a * b; },
                                 {-5, 5},
                                 {-5, 5},
                                 nullptr},
                      BinaryCase{"div",
                                 [](const Var& a, const Var& b) { return Var(a / b); },
                                 [](const Var& a, double b) { return Var(a / b); },
                                 [](double a, const Var& b) { return Var(a / b); },
                                 [](double a, double b) { return a / b; },
                                 {-5, 5},
                                 {0.2, 5},
                                 nullptr},
                      BinaryCase{"pow",
                                 [](const Var& a, const Var& b) { return Var(tg::pow(a, b)); },
                                 [](const Var& a, double b) { return Var(tg::pow(a, b)); },
                                 [](double a, const Var& b) { return Var(tg::pow(a, b)); },
                                 [](double a, double b) { return std::pow(a, b); },
                                 {0.1, 5},
                                 {-3, 3},
                                 nullptr},
                      BinaryCase{"atan2",
                                 [](const Var& a, const Var& b) { return Var(tg::atan2(a, b)); },
                                 [](const Var& a, double b) { return Var(tg::atan2(a, b)); },
                                 [](double a, const Var& b) { return Var(tg::atan2(a, b)); },
                                 [](double a, double b) { return std::atan2(a, b); },
                                 {-5, 5},
                                 {-5, 5},
                                 // away from the origin and from the branch cut (a = 0, b < 0)
                                 [](double a, double b) {
                                   return std::hypot(a, b) > 0.5 && (b > 0 || std::abs(a) > 0.1);
                                 }},
                      BinaryCase{"hypot",
                                 [](const Var& a, const Var& b) { return Var(tg::hypot(a, b)); },
                                 [](const Var& a, double b) { return Var(tg::hypot(a, b)); },
                                 [](double a, const Var& b) { return Var(tg::hypot(a, b)); },
                                 [](double a, double b) { return std::hypot(a, b); },
                                 {-5, 5},
                                 {-5, 5},
                                 [](double a, double b) { return std::hypot(a, b) > 0.5; }},
                      BinaryCase{"max",
                                 [](const Var& a, const Var& b) { return Var(tg::max(a, b)); },
                                 [](const Var& a, double b) { return Var(tg::max(a, b)); },
                                 [](double a, const Var& b) { return Var(tg::max(a, b)); },
                                 [](double a, double b) { return std::max(a, b); },
                                 {-5, 5},
                                 {-5, 5},
                                 [](double a, double b) { return std::abs(a - b) > 0.01; }},
                      BinaryCase{"min",
                                 [](const Var& a, const Var& b) { return Var(tg::min(a, b)); },
                                 [](const Var& a, double b) { return Var(tg::min(a, b)); },
                                 [](double a, const Var& b) { return Var(tg::min(a, b)); },
                                 [](double a, double b) { return std::min(a, b); },
                                 {-5, 5},
                                 {-5, 5},
                                 [](double a, double b) { return std::abs(a - b) > 0.01; }}),
    [](const ::testing::TestParamInfo<BinaryCase>& param_info) { return param_info.param.name; });

// Compound assignment records the same statements as the spelled-out form.
TEST(CompoundAssignment, MatchesSpelledOutForm) {
  expect_gradient_matches(
      "compound",
      [](const std::vector<Var>& x) {
        Var y = x[0];
        y += x[1];
        y *= x[0];
        y -= 3.0;
        y /= x[1];
        y += 2;
        return y;
      },
      random_points({{-3, 3}, {0.5, 3}}, 3, nullptr));
  tg::Tape tape;
  Var a = 1.5, b = 2.5;
  Var y = a;
  y += b;
  y *= a;
  y -= 3.0;
  y /= b;
  // y = ((a + b)·a − 3) / b: dy/da = (2a + b)/b, dy/db = (a·b − ((a + b)·a − 3)) / b²
  const auto g = tg::gradient(y, {a, b});
  EXPECT_DOUBLE_EQ(y.value(), ((1.5 + 2.5) * 1.5 - 3) / 2.5);
  EXPECT_NEAR(g[0], (2 * 1.5 + 2.5) / 2.5, 1e-15);
  EXPECT_NEAR(g[1], (1.5 * 2.5 - ((1.5 + 2.5) * 1.5 - 3)) / (2.5 * 2.5), 1e-15);
}

// A composite residual from the benchmarks: g(x) = x⁷ + x³ − 25 + eˣ + log(x + x²) + 1/x,
// g'(x) = 7x⁶ + 3x² + eˣ + (1 + 2x)/(x + x²) − 1/x², derived by hand.
TEST(Composite, ResidualMatchesHandDerivative) {
  tg::Tape tape;
  for (double x0 : {0.5, 1.4786, 2.0}) {
    Var x = x0;
    Var g = tg::pow(x, 7) + tg::pow(x, 3) - 25 + tg::exp(x) + tg::log(x + x * x) + 1 / x;
    const double expected =
        7 * std::pow(x0, 6) + 3 * x0 * x0 + std::exp(x0) + (1 + 2 * x0) / (x0 + x0 * x0) - 1 / (x0 * x0);
    EXPECT_NEAR(tg::gradient(g, {x})[0], expected, 1e-12 * std::abs(expected));
  }
}

// Many operations in one statement: the chain rule inside one expression tree.
TEST(Composite, DeepExpressionInOneStatement) {
  expect_gradient_matches(
      "deep",
      [](const std::vector<Var>& x) {
        return Var(tg::exp(tg::sin(x[0]) * x[1]) / (1 + tg::square(x[2])) -
                   tg::log(tg::hypot(x[0], x[1]) + 1) * x[2] + tg::pow(tg::sigmoid(x[0] - x[2]), x[1] * 0.5) +
                   tg::atan2(x[1], 2 + x[0] * x[0]));
      },
      random_points({{-2, 2}, {-2, 2}, {-2, 2}}, 17, nullptr));
}

// float drops in for double: same code, gradients to float precision.
TEST(FloatVar, GradientToFloatPrecision) {
  tg::FloatTape tape;
  tg::FloatVar x = 0.75f, y = -1.25f;
  tg::FloatVar f = tg::sin(x) * y + tg::exp(x * y) + tg::sqrt(x);
  const std::vector<float> g = tg::gradient(f, {x, y});
  const double xd = 0.75, yd = -1.25;
  EXPECT_NEAR(g[0], std::cos(xd) * yd + yd * std::exp(xd * yd) + 0.5 / std::sqrt(xd), 1e-6);
  EXPECT_NEAR(g[1], std::sin(xd) + xd * std::exp(xd * yd), 1e-6);
}

}  // namespace
