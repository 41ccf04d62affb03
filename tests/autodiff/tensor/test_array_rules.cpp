// The vectorized array forms of the rules (autodiff/tensor/array_rules.hpp) against the scalar
// rules they must reproduce, through the tensor operations themselves: the value of
// op(x) and the gradient of sum(op(x)), which is the rule's partial, at ordinary points
// and at the kinks and extremes where conventions matter (0 for abs and relu, ±1000 for
// sigmoid, tiny and huge arguments). Double and float.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <utility>
#include <vector>

namespace tg = tapegrad;

namespace {

// Agreement within a few units in the last place, and exact agreement of infinities,
// zeros' presence and NaNs.
template <class T>
bool close(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  const T tolerance = 8 * std::numeric_limits<T>::epsilon();
  return std::abs(a - b) <= tolerance * std::max({T(1e-30), std::abs(a), std::abs(b)}) ||
         std::abs(a - b) <= std::numeric_limits<T>::min();
}

// op applied to the points as one column tensor: its value, and the gradient of
// sum(op(x)), which is op's partial at each point.
template <class T, class Op>
std::pair<tg::MatrixX<T>, tg::MatrixX<T>> value_and_partials(Op op, const std::vector<T>& points) {
  tg::BasicTape<T> tape;
  const Eigen::Map<const tg::MatrixX<T>> column(points.data(), static_cast<Eigen::Index>(points.size()), 1);
  tg::BasicParameter<T> x(column);
  const tg::BasicTensor<T> y = op(x.tensor());
  tape.backward(tg::sum(y));
  return {y.value(), x.grad()};
}

template <class Rule, class T, class Op>
void expect_matches_scalar_rule(const char* what, Op op, const std::vector<T>& points) {
  const auto [y, grad] = value_and_partials(op, points);
  for (std::size_t k = 0; k < points.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    const T v = Rule::value(points[k]);
    // The partial from the tensor's own output: a formula such as 1 − y² magnifies the
    // last-place differences of two correct y's, which is not a disagreement of rules.
    const T d = Rule::partial(points[k], T(y(i)));
    EXPECT_TRUE(close(y(i), v)) << what << " value at " << points[k] << ": " << y(i) << " vs " << v;
    EXPECT_TRUE(close(grad(i), d)) << what << " partial at " << points[k] << ": " << grad(i) << " vs " << d;
  }
}

template <class T>
std::vector<T> everywhere() {
  return {T(0),   T(-0.0), T(1e-30), T(-1e-30), T(0.3), T(-0.7), T(1),    T(-1),
          T(2.5), T(-3),   T(15),    T(-15),    T(40),  T(-40),  T(1000), T(-1000)};
}
template <class T>
std::vector<T> positive() {
  return {T(1e-30), T(1e-6), T(0.3), T(1), T(2.5), T(40), T(1e6), T(1e30)};
}
template <class T>
std::vector<T> moderate() {
  return {T(0),   T(1e-30), T(-1e-30), T(0.3), T(-0.7), T(1),  T(-1),
          T(2.5), T(-3),    T(20),     T(-20), T(80),   T(-80)};
}

template <class T>
void check_all_unary() {
  namespace r = tg::rules;
  using Tn = tg::BasicTensor<T>;
  expect_matches_scalar_rule<r::Neg, T>(
      "neg", [](const Tn& x) { return -x; }, everywhere<T>());
  expect_matches_scalar_rule<r::Exp, T>(
      "exp", [](const Tn& x) { return tg::exp(x); }, moderate<T>());
  expect_matches_scalar_rule<r::Log, T>(
      "log", [](const Tn& x) { return tg::log(x); }, positive<T>());
  expect_matches_scalar_rule<r::Sqrt, T>(
      "sqrt", [](const Tn& x) { return tg::sqrt(x); }, positive<T>());
  expect_matches_scalar_rule<r::Square, T>(
      "square", [](const Tn& x) { return tg::square(x); }, everywhere<T>());
  expect_matches_scalar_rule<r::Abs, T>(
      "abs", [](const Tn& x) { return tg::abs(x); }, everywhere<T>());
  expect_matches_scalar_rule<r::Tanh, T>(
      "tanh", [](const Tn& x) { return tg::tanh(x); }, everywhere<T>());
  expect_matches_scalar_rule<r::Sigmoid, T>(
      "sigmoid", [](const Tn& x) { return tg::sigmoid(x); }, everywhere<T>());
  expect_matches_scalar_rule<r::Relu, T>(
      "relu", [](const Tn& x) { return tg::relu(x); }, everywhere<T>());
}

TEST(TensorArrayRules, UnaryFormsMatchTheScalarRulesInDouble) { check_all_unary<double>(); }
TEST(TensorArrayRules, UnaryFormsMatchTheScalarRulesInFloat) { check_all_unary<float>(); }

// The binary forms on every broadcast combination: a full column against a full
// column, against a repeated row entry, and against a 1×1, in both orders. The
// adjoints of a repeated operand are sums, compared with the sum of scalar partials.
template <class Rule, class T, class Op>
void expect_binary_matches(const char* what, Op op) {
  const tg::MatrixX<T> a_full =
      (tg::MatrixX<T>(3, 2) << T(0.5), T(-1.5), T(2), T(1.25), T(-0.75), T(3)).finished();
  const tg::MatrixX<T> b_full =
      (tg::MatrixX<T>(3, 2) << T(1.5), T(2.5), T(-0.5), T(4), T(0.25), T(-2)).finished();
  for (const auto& [b_rows, b_cols] : {std::pair{3, 2}, std::pair{1, 2}, std::pair{3, 1}, std::pair{1, 1}}) {
    for (const bool swap : {false, true}) {
      tg::BasicTape<T> tape;
      const tg::MatrixX<T> b_value = b_full.topLeftCorner(b_rows, b_cols);
      tg::BasicParameter<T> a(a_full), b(b_value);
      const tg::BasicTensor<T> y = swap ? op(b.tensor(), a.tensor()) : op(a.tensor(), b.tensor());
      tape.backward(tg::sum(y));
      tg::MatrixX<T> expected_da = tg::MatrixX<T>::Zero(3, 2),
                     expected_db = tg::MatrixX<T>::Zero(b_rows, b_cols);
      for (int j = 0; j < 2; ++j) {
        for (int i = 0; i < 3; ++i) {
          const T x_a = a_full(i, j), x_b = b_value(b_rows == 1 ? 0 : i, b_cols == 1 ? 0 : j);
          const T left = swap ? x_b : x_a, right = swap ? x_a : x_b;
          const T v = Rule::value(left, right);
          const T d_left = Rule::d_a(left, right, v), d_right = Rule::d_b(left, right, v);
          EXPECT_TRUE(close(y.value()(i, j), v)) << what << " value at (" << i << "," << j << ")";
          expected_da(i, j) += swap ? d_right : d_left;
          expected_db(b_rows == 1 ? 0 : i, b_cols == 1 ? 0 : j) += swap ? d_left : d_right;
        }
      }
      const std::string where = std::string(what) + " with b " + std::to_string(b_rows) + "×" +
                                std::to_string(b_cols) + (swap ? " on the left" : " on the right");
      EXPECT_TRUE(a.grad().isApprox(expected_da, 16 * std::numeric_limits<T>::epsilon())) << where;
      EXPECT_TRUE(b.grad().isApprox(expected_db, 16 * std::numeric_limits<T>::epsilon())) << where;
    }
  }
}

template <class T>
void check_all_binary() {
  namespace r = tg::rules;
  using Tn = tg::BasicTensor<T>;
  expect_binary_matches<r::Add, T>("+", [](const Tn& a, const Tn& b) { return a + b; });
  expect_binary_matches<r::Sub, T>("-", [](const Tn& a, const Tn& b) { return a - b; });
  expect_binary_matches<r::Mul, T>("*", [](const Tn& a, const Tn& b) { return a * b; });
  expect_binary_matches<r::Div, T>("/", [](const Tn& a, const Tn& b) { return a / b; });
}

TEST(TensorArrayRules, BinaryFormsMatchTheScalarRulesOnEveryBroadcastInDouble) { check_all_binary<double>(); }
TEST(TensorArrayRules, BinaryFormsMatchTheScalarRulesOnEveryBroadcastInFloat) { check_all_binary<float>(); }

// exp and sigmoid far below the normal range: exactly the scalar rule's value (0, or the
// same subnormal number) and partial, not the smallest number Eigen's vectorized exp
// clamps to in builds without AVX. Enough points to fill SIMD registers.
template <class T>
void expect_exact_underflow(std::vector<T> points) {
  while (points.size() < 32) points.push_back(points[points.size() % 5]);
  const auto check = [&]<class Rule>(Rule, auto op) {
    const auto [y, grad] = value_and_partials(op, points);
    for (std::size_t k = 0; k < points.size(); ++k) {
      const auto i = static_cast<Eigen::Index>(k);
      EXPECT_EQ(y(i), Rule::value(points[k])) << Rule::name << "(" << points[k] << ")";
      EXPECT_EQ(grad(i), Rule::partial(points[k], Rule::value(points[k])))
          << Rule::name << "'(" << points[k] << ")";
    }
  };
  check(tg::rules::Exp{}, [](const auto& t) { return tg::exp(t); });
  check(tg::rules::Sigmoid{}, [](const auto& t) { return tg::sigmoid(t); });
}

TEST(TensorArrayRules, ExpAndSigmoidUnderflowExactlyAsTheScalarRules) {
  expect_exact_underflow<float>({-1000, -200, -104, -100, -90, -88});
  expect_exact_underflow<double>({-2000, -800, -745, -740, -709});
}

}  // namespace
