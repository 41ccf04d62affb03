// Forward mode and second derivatives. Every rule of rules.hpp's lists, found from the
// lists themselves, has its Hessian (forward over reverse) checked against five-point
// finite differences of the double tape's gradient, in every operand form, and its
// Dual form (jvp) against the tape's gradient. Then second derivatives derived by hand
// at points chosen by hand, kink conventions included, and the drivers' contracts.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <type_traits>
#include <vector>

#include "rule_sampling.hpp"

namespace tg = tapegrad;
namespace rules = tapegrad::rules;
using Eigen::MatrixXd;
using rule_sampling::AsTypes, rule_sampling::RuleNames, rule_sampling::sample_points;
using tg::Var;

namespace {

constexpr int points = 8;
constexpr double max_hessian_error = 1e-6;

// A function under test in its forms, type-erased so that the drivers (hessian, the
// double tape's gradient, jvp) are compiled once for all rules rather than per rule:
// that halved this file's compile time.
struct Erased {
  std::function<Var(std::span<const Var>)> on_vars;
  std::function<tg::DualVar(std::span<const tg::DualVar>)> on_dual_vars;
  // The rule on plain Dual numbers (forward mode alone); empty: no jvp check.
  std::function<tg::Dual<double>(std::span<const tg::Dual<double>>)> on_numbers;
  Var operator()(std::span<const Var> x) const { return on_vars(x); }
  tg::DualVar operator()(std::span<const tg::DualVar> x) const { return on_dual_vars(x); }
};

template <class Form>
Erased erase(Form form) {
  Erased e{[form](std::span<const Var> x) { return Var(form(x)); },
           [form](std::span<const tg::DualVar> x) { return tg::DualVar(form(x)); },
           {}};
  if constexpr (requires(std::span<const tg::Dual<double>> x) { Form::on_numbers(x); })
    e.on_numbers = [](std::span<const tg::Dual<double>> x) { return tg::Dual<double>(Form::on_numbers(x)); };
  return e;
}

// The tape's gradient of f at x, in double.
std::vector<double> tape_gradient(const Erased& f, std::vector<double> x) {
  tg::Tape tape;
  std::vector<Var> xs(x.begin(), x.end());
  const Var y = f(std::span<const Var>(xs));
  return tg::gradient(y, xs);
}

// H(i, j) ≈ ∂g_i/∂x_j by the five-point stencil on the tape's gradient g.
MatrixXd gradient_differences(const Erased& f, const std::vector<double>& x) {
  const auto n = static_cast<Eigen::Index>(x.size());
  MatrixXd h(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double step = 1e-3 * std::max(1.0, std::abs(x[static_cast<std::size_t>(j)]));
    auto at = [&](double k) {
      std::vector<double> p = x;
      p[static_cast<std::size_t>(j)] += k * step;
      return tape_gradient(f, p);
    };
    const auto p1 = at(1), m1 = at(-1), p2 = at(2), m2 = at(-2);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      h(i, j) = (8 * (p1[k] - m1[k]) - (p2[k] - m2[k])) / (12 * step);
    }
  }
  return h;
}

// Forward over reverse against differences of the gradient at x; where the form has the
// rule on numbers, jvp along each axis against the gradient's entry (no tape).
void expect_hessian(const char* rule, const char* form, const std::vector<double>& x, const Erased& f) {
  const MatrixXd h = tg::hessian(f, x);
  const MatrixXd fd = gradient_differences(f, x);
  std::string at;
  for (double c : x) {
    at += ' ';
    at += std::to_string(c);
  }
  for (Eigen::Index e = 0; e < h.size(); ++e)
    EXPECT_NEAR(h(e), fd(e), max_hessian_error * std::max(1.0, std::abs(fd(e))))
        << rule << " (" << form << ") at" << at << ": forward over reverse\n"
        << h << "\nfinite differences of the gradient\n"
        << fd;
  if (!f.on_numbers) return;
  const std::vector<double> g = tape_gradient(f, x);
  for (std::size_t j = 0; j < x.size(); ++j) {
    std::vector<double> v(x.size(), 0.0);
    v[j] = 1;
    const auto d = tg::jvp(f.on_numbers, x, v);
    EXPECT_NEAR(d.derivative, g[j], 1e-12 * std::max(1.0, std::abs(g[j])))
        << rule << " (" << form << ") jvp at" << at;
  }
}

// f as a recorded expression (on Var and DualVar) and as the rule on plain numbers.
template <class Rule>
struct UnaryForm {
  template <class Xs>
  auto operator()(Xs x) const {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return V(tg::UnaryExpr<Rule, V>(x[0]));
  }
  template <class Xs>
  static auto on_numbers(Xs x) {
    return Rule::value(x[0]);
  }
};
template <class Rule>
struct BinaryForm {
  template <class Xs>
  auto operator()(Xs x) const {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return V(tg::BinaryExpr<Rule, V, V>(x[0], x[1]));
  }
  template <class Xs>
  static auto on_numbers(Xs x) {
    return Rule::value(x[0], x[1]);
  }
};
// One operand a number: the partials of the other still carry their tangents.
template <class Rule, bool NumberFirst>
struct BinaryWithNumber {
  double number;
  template <class Xs>
  auto operator()(Xs x) const {
    using V = std::remove_cvref_t<decltype(x[0])>;
    if constexpr (NumberFirst)
      return V(tg::detail::binary<Rule>(number, x[0]));
    else
      return V(tg::detail::binary<Rule>(x[0], number));
  }
};
template <class Rule>
struct TernaryForm {
  template <class Xs>
  auto operator()(Xs x) const {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return V(tg::TernaryExpr<Rule, V, V, V>(x[0], x[1], x[2]));
  }
  template <class Xs>
  static auto on_numbers(Xs x) {
    return Rule::value(x[0], x[1], x[2]);
  }
};

template <class Rule>
class UnaryRuleSecondOrder : public ::testing::Test {};
TYPED_TEST_SUITE(UnaryRuleSecondOrder, AsTypes<rules::UnaryRules>::type, RuleNames);
TYPED_TEST(UnaryRuleSecondOrder, HessianMatchesDifferencesOfTheGradient) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 1>({Rule::sample}, 11, points))
    expect_hessian(Rule::name, "x", {p[0]}, erase(UnaryForm<Rule>{}));
}

template <class Rule>
class BinaryRuleSecondOrder : public ::testing::Test {};
TYPED_TEST_SUITE(BinaryRuleSecondOrder, AsTypes<rules::BinaryRules>::type, RuleNames);
TYPED_TEST(BinaryRuleSecondOrder, HessianMatchesDifferencesOfTheGradientInEveryOperandForm) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 2>({Rule::sample_a, Rule::sample_b}, 12, points)) {
    expect_hessian(Rule::name, "Var, Var", {p[0], p[1]}, erase(BinaryForm<Rule>{}));
    expect_hessian(Rule::name, "Var, number", {p[0]}, erase(BinaryWithNumber<Rule, false>{p[1]}));
    expect_hessian(Rule::name, "number, Var", {p[1]}, erase(BinaryWithNumber<Rule, true>{p[0]}));
  }
}

template <class Rule>
class TernaryRuleSecondOrder : public ::testing::Test {};
TYPED_TEST_SUITE(TernaryRuleSecondOrder, AsTypes<rules::TernaryRules>::type, RuleNames);
TYPED_TEST(TernaryRuleSecondOrder, HessianMatchesDifferencesOfTheGradient) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 3>({Rule::sample_a, Rule::sample_b, Rule::sample_c}, 13, points))
    expect_hessian(Rule::name, "Var, Var, Var", {p[0], p[1], p[2]}, erase(TernaryForm<Rule>{}));
}

// ------------------------------------------------- by hand, at points chosen by hand

double second_derivative(auto f, double x) { return tg::hessian(f, std::vector<double>{x})(0, 0); }

TEST(SecondDerivative, MatchesHandDerivedFormulas) {
  using std::numbers::pi;
  EXPECT_NEAR(second_derivative([](auto x) { return tg::exp(x[0]); }, 0.5), std::exp(0.5), 1e-14);
  EXPECT_NEAR(second_derivative([](auto x) { return tg::log(x[0]); }, 2.0), -0.25, 1e-15);
  EXPECT_NEAR(second_derivative([](auto x) { return tg::sin(x[0]); }, 1.0), -std::sin(1.0), 1e-15);
  EXPECT_NEAR(second_derivative([](auto x) { return tg::sqrt(x[0]); }, 4.0), -1.0 / 32, 1e-15);
  // tanh'' = −2 tanh (1 − tanh²); sigmoid'' = s(1 − s)(1 − 2s).
  const double t = std::tanh(0.3), s = 1 / (1 + std::exp(-0.3));
  EXPECT_NEAR(second_derivative([](auto x) { return tg::tanh(x[0]); }, 0.3), -2 * t * (1 - t * t), 1e-15);
  EXPECT_NEAR(second_derivative([](auto x) { return tg::sigmoid(x[0]); }, 0.3), s * (1 - s) * (1 - 2 * s),
              1e-15);
  // lgamma''(1) = trigamma(1) = π²/6; digamma''(1) = ψ₂(1) = −2ζ(3).
  EXPECT_NEAR(second_derivative([](auto x) { return tg::lgamma(x[0]); }, 1.0), pi * pi / 6, 1e-13);
  EXPECT_NEAR(second_derivative([](auto x) { return tg::digamma(x[0]); }, 1.0), -2 * 1.2020569031595942,
              1e-12);
  // x³ / 6 has second derivative x; 1/x has 2/x³.
  EXPECT_NEAR(second_derivative([](auto x) { return x[0] * x[0] * x[0] / 6.0; }, 1.7), 1.7, 1e-15);
  EXPECT_NEAR(second_derivative([](auto x) { return 1.0 / x[0]; }, 2.0), 0.25, 1e-15);
}

TEST(SecondDerivative, KinksFollowTheFirstDerivativesConventions) {
  // abs, relu, max, clamp are piecewise linear: their second derivative is 0 everywhere
  // away from the kink, and 0 at it (the first derivative is a constant there too).
  for (double x : {-2.0, 0.0, 3.0}) {
    EXPECT_EQ(second_derivative([](auto v) { return tg::abs(v[0]); }, x), 0.0) << x;
    EXPECT_EQ(second_derivative([](auto v) { return tg::relu(v[0]); }, x), 0.0) << x;
    EXPECT_EQ(second_derivative([](auto v) { return tg::max(v[0], 0.0); }, x), 0.0) << x;
    EXPECT_EQ(second_derivative([](auto v) { return tg::clamp(v[0], -1.0, 1.0); }, x), 0.0) << x;
  }
  // abs(x)·x = x|x| has second derivative 2·sign(x), 0 at 0.
  EXPECT_EQ(second_derivative([](auto v) { return tg::abs(v[0]) * v[0]; }, -1.5), -2.0);
  EXPECT_EQ(second_derivative([](auto v) { return tg::abs(v[0]) * v[0]; }, 0.0), 0.0);
  // relu(x)²: 2 for x > 0, 0 for x ≤ 0.
  EXPECT_EQ(second_derivative([](auto v) { return tg::square(tg::relu(v[0])); }, 0.5), 2.0);
  EXPECT_EQ(second_derivative([](auto v) { return tg::square(tg::relu(v[0])); }, -0.5), 0.0);
}

TEST(Hessian, OfPowInBothArgumentsMatchesTheFormulas) {
  // f = a^b: f_aa = b(b−1)a^(b−2), f_ab = a^(b−1)(1 + b ln a), f_bb = a^b ln²a.
  const double a = 1.7, b = 2.3;
  const MatrixXd h = tg::hessian([](auto x) { return tg::pow(x[0], x[1]); }, std::vector<double>{a, b});
  EXPECT_NEAR(h(0, 0), b * (b - 1) * std::pow(a, b - 2), 1e-13);
  EXPECT_NEAR(h(0, 1), std::pow(a, b - 1) * (1 + b * std::log(a)), 1e-13);
  EXPECT_NEAR(h(1, 1), std::pow(a, b) * std::log(a) * std::log(a), 1e-13);
  EXPECT_EQ(h(0, 1), h(1, 0));
}

auto rosenbrock = [](auto x) { return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]); };

TEST(Hessian, OfRosenbrockIsTheTextbookMatrixAndExactlySymmetric) {
  // H = [[1200x² − 400y + 2, −400x], [−400x, 200]].
  for (const auto& [x, y] : {std::pair{-1.2, 1.0}, std::pair{0.3, -0.7}}) {
    const MatrixXd h = tg::hessian(rosenbrock, std::vector<double>{x, y});
    EXPECT_NEAR(h(0, 0), 1200 * x * x - 400 * y + 2, 1e-11);
    EXPECT_NEAR(h(0, 1), -400 * x, 1e-12);
    EXPECT_NEAR(h(1, 1), 200, 1e-12);
    EXPECT_EQ(h(0, 1), h(1, 0));
  }
}

TEST(Hvp, IsTheHessianTimesTheDirectionAndTheGradientComesWithIt) {
  // f = Σ_i x_i² x_{i+1} + exp(x_0 x_2): a Hessian with every kind of entry.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V sum = x[0] * x[0] * x[1] + x[1] * x[1] * x[2] + x[2] * x[2] * x[3];
    return sum + tg::exp(x[0] * x[2]);
  };
  const std::vector<double> x{0.5, -1.0, 0.3, 2.0}, v{1.0, 2.0, -1.0, 0.5};
  const MatrixXd h = tg::hessian(f, x);
  const std::vector<double> hv = tg::hvp(f, x, v);
  const Eigen::VectorXd expected = h * Eigen::Map<const Eigen::VectorXd>(v.data(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(hv[static_cast<std::size_t>(i)], expected(i), 1e-13);
  // Row 0 by hand: ∂²/∂x0² = 2x1 + x2² e^{x0x2}, ∂²/∂x0∂x1 = 2x0, ∂²/∂x0∂x2 = e^{x0x2}(1 + x0x2), 0.
  const double e = std::exp(0.15);
  EXPECT_NEAR(h(0, 0), -2 + 0.09 * e, 1e-14);
  EXPECT_NEAR(h(0, 1), 1.0, 1e-14);
  EXPECT_NEAR(h(0, 2), e * 1.15, 1e-14);
  EXPECT_EQ(h(0, 3), 0.0);

  tg::HessianOperator op(f);
  std::vector<double> g(4), hv2(4);
  const double value = op.hvp(x, v, g, hv2);
  EXPECT_NEAR(value, 0.25 * -1 + 1 * 0.3 + 0.09 * 2 + e, 1e-14);
  EXPECT_EQ(hv2, hv);
  EXPECT_NEAR(g[3], 0.09, 1e-15);  // ∂f/∂x3 = x2²
}

TEST(Hvp, RejectsADirectionOfTheWrongSize) {
  EXPECT_THROW(tg::hvp(rosenbrock, std::vector<double>{1, 2}, std::vector<double>{1}), tg::Error);
  EXPECT_THROW(tg::jvp(rosenbrock, std::vector<double>{1, 2}, std::vector<double>{1, 2, 3}), tg::Error);
}

TEST(Jvp, GivesTheValueAndTheDirectionalDerivativeInOnePass) {
  const auto d = tg::jvp(rosenbrock, std::vector<double>{-1.2, 1.0}, std::vector<double>{1.0, 0.0});
  EXPECT_NEAR(d.value, 24.2, 1e-13);
  // ∂f/∂x = −400x(y − x²) − 2(1 − x).
  EXPECT_NEAR(d.derivative, -400 * -1.2 * (1 - 1.44) - 2 * 2.2, 1e-12);
}

TEST(Dual, NestedDualsGiveThirdDerivatives) {
  using D2 = tg::Dual<tg::Dual<double>>;
  // x = 0.7 + ε₁ + ε₂: the ε₁ε₂ part of exp(x)·x is (x e^x)'' = (x + 2)e^x.
  const D2 x(tg::Dual<double>(0.7, 1.0), tg::Dual<double>(1.0, 0.0));
  const D2 y = tg::exp(x) * x;
  EXPECT_NEAR(y.tangent().tangent(), (0.7 + 2) * std::exp(0.7), 1e-14);
  EXPECT_NEAR(y.value().value(), 0.7 * std::exp(0.7), 1e-15);
}

TEST(Jacobian, PicksForwardModeForFewInputsAndAgreesWithReverse) {
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return std::vector<V>{x[0] * x[1], V(tg::sin(x[0])), V(x[1] / x[0]), V(tg::exp(x[1]))};
  };
  const std::vector<double> x{0.5, 2.0};
  const MatrixXd forward = tg::jacobian(f, x, tg::JacobianMode::Forward);
  const MatrixXd reverse = tg::jacobian(f, x, tg::JacobianMode::Reverse);
  const MatrixXd automatic = tg::jacobian(f, x);
  ASSERT_EQ(forward.rows(), 4);
  ASSERT_EQ(forward.cols(), 2);
  const MatrixXd expected{{2.0, 0.5}, {std::cos(0.5), 0.0}, {-8.0, 2.0}, {0.0, std::exp(2.0)}};
  EXPECT_LE((forward - expected).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LE((reverse - expected).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_EQ(automatic, forward);
}

}  // namespace
