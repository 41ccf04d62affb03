// The expression language: precedence, errors with their columns, and values and
// gradients that match the same expression written with the C++ API and central
// differences.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numbers>
#include <tapegrad/cli/calculus.hpp>
#include <tapegrad/cli/functions.hpp>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace cli = tapegrad::cli;

namespace {

double value(const std::string& text, std::vector<std::pair<std::string, double>> at = {},
             std::map<std::string, std::size_t> dims = {}) {
  const cli::Expression e = cli::compile(text, dims);
  return cli::checked_value(e, cli::bind_point(e, at, "--at"));
}

// The column of the error that compiling or evaluating `text` at x = 1 raises.
std::size_t error_column(const std::string& text, std::string* message = nullptr) {
  try {
    const cli::Expression e = cli::compile(text);
    std::vector<std::pair<std::string, double>> at;
    for (const std::string& name : e.scalars()) at.emplace_back(name, 1.0);
    cli::checked_value(e, cli::bind_point(e, at, "--at"));
  } catch (const cli::ExpressionError& e) {
    if (message) *message = e.what();
    return e.column();
  }
  return 0;
}

}  // namespace

TEST(Expression, PrecedenceAndAssociativity) {
  EXPECT_EQ(value("1 + 2 * 3"), 7);
  EXPECT_EQ(value("(1 + 2) * 3"), 9);
  EXPECT_EQ(value("2 ^ 3 ^ 2"), 512);  // right-associative: 2^(3^2)
  EXPECT_EQ(value("-2 ^ 2"), -4);      // unary minus binds looser than ^
  EXPECT_EQ(value("2 ^ -1"), 0.5);
  EXPECT_EQ(value("8 / 4 / 2"), 1);  // left-associative
  EXPECT_EQ(value("7 - 2 - 1"), 4);
  EXPECT_EQ(value("--3"), 3);
  EXPECT_EQ(value("1e-3 * 2.5e3 + .5"), 3);
  EXPECT_EQ(value("pi"), std::numbers::pi);
  EXPECT_EQ(value("e"), std::numbers::e);
  EXPECT_EQ(value("-x^2", {{"x", 3}}), -9);
}

TEST(Expression, EveryFunctionMatchesTheCppApiInValueAndGradient) {
  const std::vector<std::pair<std::string, std::function<tg::Var(tg::Var, tg::Var)>>> cases = {
      {"exp(x) + log(y)", [](tg::Var x, tg::Var y) { return tg::Var(tg::exp(x) + tg::log(y)); }},
      {"log1p(x) * expm1(y)", [](tg::Var x, tg::Var y) { return tg::Var(tg::log1p(x) * tg::expm1(y)); }},
      {"sqrt(x) / cbrt(y)", [](tg::Var x, tg::Var y) { return tg::Var(tg::sqrt(x) / tg::cbrt(y)); }},
      {"abs(x - y) + sin(x) * cos(y) - tan(x)",
       [](tg::Var x, tg::Var y) { return tg::Var(tg::abs(x - y) + tg::sin(x) * tg::cos(y) - tg::tan(x)); }},
      {"asin(x) + acos(x) * atan(y)",
       [](tg::Var x, tg::Var y) { return tg::Var(tg::asin(x) + tg::acos(x) * tg::atan(y)); }},
      {"sinh(x) - cosh(y) * tanh(x)",
       [](tg::Var x, tg::Var y) { return tg::Var(tg::sinh(x) - tg::cosh(y) * tg::tanh(x)); }},
      {"sigmoid(x) + softplus(y) + relu(x - y) + erf(x)",
       [](tg::Var x, tg::Var y) {
         return tg::Var(tg::sigmoid(x) + tg::softplus(y) + tg::relu(x - y) + tg::erf(x));
       }},
      {"atan2(x, y) + hypot(x, y) + pow(y, x) + max(x, y) * min(x, y) + x^y",
       [](tg::Var x, tg::Var y) {
         return tg::Var(tg::atan2(x, y) + tg::hypot(x, y) + tg::pow(y, x) + tg::max(x, y) * tg::min(x, y) +
                        tg::pow(x, y));
       }},
  };
  for (const auto& [text, cpp] : cases) {
    const cli::Expression e = cli::compile(text);
    const cli::Point p = cli::bind_point(e, {{"x", 0.3}, {"y", 1.7}}, "--at");
    const cli::ValueAndGradient r = cli::value_and_gradient(e, p);
    tg::Tape tape;
    tg::Var x = 0.3, y = 1.7;
    const tg::Var f = cpp(x, y);
    const std::vector<double> g = tg::gradient(f, {x, y});
    // The text records one statement per operation, the C++ expression one for the
    // whole; adjoints summed in another order may differ in the last bits.
    EXPECT_EQ(r.value, f.value()) << text;
    EXPECT_NEAR(r.gradient[0], g[0], 1e-14 * (1 + std::abs(g[0]))) << text;
    EXPECT_NEAR(r.gradient[1], g[1], 1e-14 * (1 + std::abs(g[1]))) << text;
    // And against central differences, independently of the tape.
    const auto f_at = [&](double xv, double yv) {
      return cli::checked_value(e, cli::bind_point(e, {{"x", xv}, {"y", yv}}, "--at"));
    };
    const double h = 1e-6;
    EXPECT_NEAR(r.gradient[0], (f_at(0.3 + h, 1.7) - f_at(0.3 - h, 1.7)) / (2 * h),
                1e-6 * (1 + std::abs(g[0])))
        << text;
    EXPECT_NEAR(r.gradient[1], (f_at(0.3, 1.7 + h) - f_at(0.3, 1.7 - h)) / (2 * h),
                1e-6 * (1 + std::abs(g[1])))
        << text;
  }
}

TEST(Expression, SharedVariablesAccumulateTheirGradient) {
  // f = x·x + x·y + |x + y| at (1, 1): ∂f/∂x = 2x + y + 1 = 4, ∂f/∂y = x + 1 = 2.
  const cli::Expression e = cli::compile("x*x + x*y + abs(x + y)");
  EXPECT_EQ(e.scalars(), (std::vector<std::string>{"x", "y"}));
  const cli::ValueAndGradient r =
      cli::value_and_gradient(e, cli::bind_point(e, {{"y", 1}, {"x", 1}}, "--at"));
  EXPECT_EQ(r.value, 4);
  EXPECT_EQ(r.gradient, (std::vector<double>{4, 2}));
}

TEST(Expression, VectorsSumsAndIndexing) {
  // sum(x^2) with x = (0.5, …, 0.5) of length 1000: 250; ∂/∂xᵢ = 2xᵢ = 1.
  const cli::Expression e = cli::compile("sum(x^2) + 3*x[2]", {{"x", 1000}});
  const cli::ValueAndGradient r = cli::value_and_gradient(e, cli::bind_point(e, {{"x", 0.5}}, "--at"));
  EXPECT_DOUBLE_EQ(r.value, 251.5);
  ASSERT_EQ(r.gradient.size(), 1000u);
  EXPECT_EQ(r.gradient[0], 1);
  EXPECT_EQ(r.gradient[2], 4);
  EXPECT_EQ(r.gradient[999], 1);
  // Two vectors in one sum: a dot product.
  const cli::Expression dot = cli::compile("sum(a*b)", {{"a", 3}, {"b", 3}});
  EXPECT_EQ(cli::checked_value(dot, cli::bind_point(dot, {{"a", 2}, {"b", 5}}, "--at")), 30);
  std::string message;
  EXPECT_THROW(cli::compile("sum(a*b)", {{"a", 3}, {"b", 4}}), cli::ExpressionError);
  EXPECT_THROW(cli::compile("x + 1", {{"x", 3}}), cli::ExpressionError);  // a vector outside sum()
  EXPECT_THROW(cli::compile("sum(y)"), cli::ExpressionError);             // no vector in the sum
  // Nested sums whose work would be 10^12 operations are refused, not run.
  EXPECT_THROW(cli::compile("sum(x * sum(x))", {{"x", 1000000}}), cli::ExpressionError);
  EXPECT_NO_THROW(cli::compile("sum(x * sum(x))", {{"x", 1000}}));
  const cli::Expression index = cli::compile("x[5]", {{"x", 3}});
  EXPECT_THROW(cli::checked_value(index, cli::bind_point(index, {{"x", 1}}, "--at")), cli::ExpressionError);
}

TEST(Expression, ErrorsPointAtTheirColumn) {
  std::string m;
  EXPECT_EQ(error_column("x + )", &m), 5u);
  EXPECT_EQ(error_column("(x + 1", &m), 7u);
  EXPECT_NE(m.find("expected ')'"), std::string::npos) << m;
  EXPECT_EQ(error_column("x + foo(2)", &m), 5u);
  EXPECT_NE(m.find("unknown function 'foo'"), std::string::npos) << m;
  EXPECT_EQ(error_column("2 * atan2(x)", &m), 5u);
  EXPECT_NE(m.find("takes 2 arguments"), std::string::npos) << m;
  EXPECT_EQ(error_column("2x", &m), 2u);
  EXPECT_EQ(error_column("x $ 2", &m), 3u);
  EXPECT_EQ(error_column("", &m), 1u);
  EXPECT_EQ(error_column("x +", &m), 4u);
  EXPECT_EQ(error_column("1e999", &m), 1u);
  EXPECT_EQ(error_column("exp", &m), 1u);
  EXPECT_EQ(error_column(std::string(300, '(') + "x" + std::string(300, ')'), &m),
            202u);  // after the 201st (
  EXPECT_NE(m.find("nested more than 200"), std::string::npos) << m;
  // Domain errors at the operation that leaves the domain, with its inputs.
  EXPECT_EQ(error_column("x + log(x - 2)", &m), 5u);
  EXPECT_NE(m.find("log(-1) is NaN"), std::string::npos) << m;
  EXPECT_EQ(error_column("3 + 1/(x - 1)", &m), 6u);
  EXPECT_NE(m.find("1 / 0 is infinite"), std::string::npos) << m;
}

TEST(Expression, PointsNameWhatIsMissingOrExtra) {
  const cli::Expression e = cli::compile("x1 + x2");
  EXPECT_THROW(cli::bind_point(e, {{"x1", 1}}, "--at"), cli::UsageError);
  EXPECT_THROW(cli::bind_point(e, {{"x1", 1}, {"x2", 1}, {"x3", 1}}, "--at"), cli::UsageError);
  try {
    cli::bind_point(e, {{"x1", 1}}, "--at");
  } catch (const cli::UsageError& u) {
    EXPECT_EQ(u.message(), "--at: no value for the variable x2");
  }
  EXPECT_THROW(cli::parse_assignments("x1=1,x1=2", "--at"), cli::UsageError);
  EXPECT_THROW(cli::parse_assignments("x1=abc", "--at"), cli::UsageError);
  EXPECT_THROW(cli::parse_assignments("x1=nan", "--at"), cli::UsageError);
  EXPECT_THROW(cli::parse_assignments("1x=2", "--at"), cli::UsageError);
  EXPECT_EQ(cli::parse_assignments(" a = -2.5e1 ,b=+3", "--at"),
            (std::vector<std::pair<std::string, double>>{{"a", -25}, {"b", 3}}));
}

// Every rule the autodiff lists name is callable from text under its own name, with its
// own value and partial derivatives: nothing to keep in step by hand.
namespace {

template <class Rule>
void expect_callable_from_text() {
  constexpr std::size_t arity = cli::detail::arity_of<Rule>();
  std::array<tg::rules::Interval, arity> box;
  if constexpr (arity == 1)
    box = {Rule::sample};
  else if constexpr (arity == 2)
    box = {Rule::sample_a, Rule::sample_b};
  else
    box = {Rule::sample_a, Rule::sample_b, Rule::sample_c};
  std::array<double, arity> x;
  std::string text = std::string(Rule::name) + "(";
  std::vector<std::pair<std::string, double>> at;
  for (std::size_t k = 0; k < arity; ++k) {
    x[k] = box[k].lo + 0.37 * (box[k].hi - box[k].lo);
    const std::string name(1, static_cast<char>('a' + k));
    text += (k ? ", " : "") + name;
    at.emplace_back(name, x[k]);
  }
  text += ")";
  const cli::Expression e = cli::compile(text);
  const cli::ValueAndGradient r = cli::value_and_gradient(e, cli::bind_point(e, at, "--at"));
  std::vector<double> expected;
  double y = 0;
  if constexpr (arity == 1) {
    y = Rule::value(x[0]);
    expected = {Rule::partial(x[0], y)};
  } else if constexpr (arity == 2) {
    y = Rule::value(x[0], x[1]);
    expected = {Rule::d_a(x[0], x[1], y), Rule::d_b(x[0], x[1], y)};
  } else {
    y = Rule::value(x[0], x[1], x[2]);
    expected = {Rule::d_a(x[0], x[1], x[2], y), Rule::d_b(x[0], x[1], x[2], y),
                Rule::d_c(x[0], x[1], x[2], y)};
  }
  // The same rule, compiled in another translation unit: equal to rounding.
  EXPECT_NEAR(r.value, y, 1e-14 * std::max(1.0, std::abs(y))) << text;
  ASSERT_EQ(r.gradient.size(), arity) << text;
  for (std::size_t k = 0; k < arity; ++k)
    EXPECT_NEAR(r.gradient[k], expected[k], 1e-14 * std::max(1.0, std::abs(expected[k])))
        << text << " d/d" << char('a' + k);
}

}  // namespace

TEST(Expression, EveryListedRuleIsCallableByItsName) {
  std::size_t called = 0;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          using Rule = std::tuple_element_t<I, cli::OperationRules>;
          if (!cli::operation_table[I].called_by_name) return;
          ++called;
          expect_callable_from_text<Rule>();
        }(),
        ...);
  }
  (std::make_index_sequence<cli::operation_count>{});
  // All but the five operators (-x, +, -, *, /).
  EXPECT_EQ(called, cli::operation_count - 5);
  EXPECT_EQ(value("clamp(5, 0, 2) + fmod(7.5, 2) + floor(-1.5) + round(2.5) + sign(-3)"),
            2 + 1.5 - 2 + 2 - 1);
}
