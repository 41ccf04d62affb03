// Every rule of rules.hpp's lists, found from the lists themselves: a rule added to a
// list is tested here with no edit. Each is gradient-checked against five-point finite
// differences in double (relative error at most 1e-7) at random points of the interval
// its rule names (`sample`), kept off its kinks where it has any (`kink_distance`), in
// every operand form (Vars, and Vars mixed with numbers), and in its tensor form where
// one exists, whose values must also match the scalar rule's entry by entry.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tapegrad/tapegrad.hpp>
#include <tuple>
#include <vector>

#include "../tensor/tensor_checks.hpp"
#include "rule_sampling.hpp"

namespace tg = tapegrad;
namespace rules = tapegrad::rules;
using Eigen::MatrixXd;
using tg::Tensor;
using tg::Var;

namespace {

using rule_sampling::AsTypes, rule_sampling::RuleNames, rule_sampling::sample_points;

using ScalarFunction = std::function<Var(const std::vector<Var>&)>;

// Not a template: the gradient check is compiled once, not once per rule and form.
void expect_gradient(std::string_view rule, const char* form, std::span<const double> p,
                     const std::vector<double>& vars, const ScalarFunction& f) {
  const tg::GradientCheck check = tg::check_gradient(f, vars);
  std::string at;
  for (double x : p) {  // appended piece by piece: g++ 12 warns falsely (-Wrestrict) on " " + …
    at += ' ';
    at += std::to_string(x);
  }
  EXPECT_LE(check.max_rel_error, tensor_test::max_relative_error)
      << rule << " (" << form << ") at" << at << ": tape " << ::testing::PrintToString(check.gradient)
      << ", finite differences " << ::testing::PrintToString(check.finite_differences);
}

// A 2×3 matrix whose entries are the first six points' coordinate k.
template <std::size_t N>
MatrixXd matrix_of(const std::vector<std::array<double, N>>& points, std::size_t k) {
  MatrixXd m(2, 3);
  for (Eigen::Index e = 0; e < m.size(); ++e) m(e) = points[static_cast<std::size_t>(e)][k];
  return m;
}

// ------------------------------------------------------------------------ unary

template <class Rule>
class UnaryRule : public ::testing::Test {};
TYPED_TEST_SUITE(UnaryRule, AsTypes<rules::UnaryRules>::type, RuleNames);

TYPED_TEST(UnaryRule, GradientMatchesFiniteDifferences) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 1>({Rule::sample}, 1)) {
    expect_gradient(Rule::name, "x", p, {p[0]},
                    [](const std::vector<Var>& x) { return Var(tg::UnaryExpr<Rule, Var>(x[0])); });
    // Through an expression: the chain rule inside one statement.
    expect_gradient(Rule::name, "x + 0", p, {p[0]}, [](const std::vector<Var>& x) {
      return Var(2.0 * tg::UnaryExpr<Rule, decltype(x[0] + 0.0)>(x[0] + 0.0));
    });
  }
}

TYPED_TEST(UnaryRule, TensorFormMatchesTheScalarRule) {
  using Rule = TypeParam;
  const auto points = sample_points<Rule, 1>({Rule::sample}, 2);
  const MatrixXd x = matrix_of(points, 0);
  tensor_test::expect_gradient(std::string(Rule::name) + " on tensors",
                               [](const std::vector<Tensor>& in) {
                                 return tensor_test::weighted(tg::detail::tensor_unary<Rule>(in[0]));
                               },
                               {x});
  tg::Tape tape;
  const Tensor y = tg::detail::tensor_unary<Rule>(tg::constant(x));
  for (Eigen::Index e = 0; e < x.size(); ++e) {
    const double expected = Rule::value(x(e));
    EXPECT_NEAR(y.data()[e], expected, 1e-14 * std::max(1.0, std::abs(expected)))
        << Rule::name << " at " << x(e);
  }
}

// ----------------------------------------------------------------------- binary

template <class Rule>
class BinaryRule : public ::testing::Test {};
TYPED_TEST_SUITE(BinaryRule, AsTypes<rules::BinaryRules>::type, RuleNames);

TYPED_TEST(BinaryRule, GradientMatchesFiniteDifferencesInEveryOperandForm) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 2>({Rule::sample_a, Rule::sample_b}, 3)) {
    expect_gradient(Rule::name, "Var, Var", p, {p[0], p[1]}, [](const std::vector<Var>& x) {
      return Var(tg::BinaryExpr<Rule, Var, Var>(x[0], x[1]));
    });
    const double a = p[0], b = p[1];
    expect_gradient(Rule::name, "Var, number", p, {a},
                    [&](const std::vector<Var>& x) { return Var(tg::detail::binary<Rule>(x[0], b)); });
    expect_gradient(Rule::name, "number, Var", p, {b},
                    [&](const std::vector<Var>& x) { return Var(tg::detail::binary<Rule>(a, x[0])); });
  }
}

TYPED_TEST(BinaryRule, TensorFormMatchesTheScalarRule) {
  using Rule = TypeParam;
  const auto points = sample_points<Rule, 2>({Rule::sample_a, Rule::sample_b}, 4);
  const MatrixXd a = matrix_of(points, 0), b = matrix_of(points, 1);
  tensor_test::expect_gradient(
      std::string(Rule::name) + " on tensors",
      [](const std::vector<Tensor>& in) {
        return tensor_test::weighted(tg::detail::tensor_binary<Rule>(Rule::name, in[0], in[1]));
      },
      {a, b});
  tg::Tape tape;
  const Tensor y = tg::detail::tensor_binary<Rule>(Rule::name, tg::constant(a), tg::constant(b));
  for (Eigen::Index e = 0; e < a.size(); ++e) {
    const double expected = Rule::value(a(e), b(e));
    EXPECT_NEAR(y.data()[e], expected, 1e-14 * std::max(1.0, std::abs(expected)))
        << Rule::name << " at " << a(e) << ", " << b(e);
  }
}

// ---------------------------------------------------------------------- ternary

template <class Rule>
class TernaryRule : public ::testing::Test {};
TYPED_TEST_SUITE(TernaryRule, AsTypes<rules::TernaryRules>::type, RuleNames);

TYPED_TEST(TernaryRule, GradientMatchesFiniteDifferencesInEveryOperandForm) {
  using Rule = TypeParam;
  for (const auto& p : sample_points<Rule, 3>({Rule::sample_a, Rule::sample_b, Rule::sample_c}, 5)) {
    expect_gradient(Rule::name, "Var, Var, Var", p, {p[0], p[1], p[2]}, [](const std::vector<Var>& x) {
      return Var(tg::TernaryExpr<Rule, Var, Var, Var>(x[0], x[1], x[2]));
    });
    const double b = p[1], c = p[2];
    expect_gradient(Rule::name, "Var, number, number", p, {p[0]},
                    [&](const std::vector<Var>& x) { return Var(tg::detail::ternary<Rule>(x[0], b, c)); });
  }
}

}  // namespace
