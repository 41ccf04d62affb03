// Elementwise tensor functions and broadcasting arithmetic, gradient-checked at every
// shape and broadcast, and their values against the scalar functions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

// ------------------------------------------------------------------ elementwise

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  double lo, hi;
  double gap;  // > 0: keep |x| above it (kink at 0); domain is then ±[gap, 2]
};

TEST(TensorOps, UnaryFunctions) {
  const std::vector<UnaryCase> cases = {
      {"exp", [](const Tensor& x) { return tg::exp(x); }, -2, 2, 0},
      {"log", [](const Tensor& x) { return tg::log(x); }, 0.2, 3, 0},
      {"sqrt", [](const Tensor& x) { return tg::sqrt(x); }, 0.2, 3, 0},
      {"square", [](const Tensor& x) { return tg::square(x); }, -2, 2, 0},
      {"abs", [](const Tensor& x) { return tg::abs(x); }, 0, 0, 0.1},
      {"tanh", [](const Tensor& x) { return tg::tanh(x); }, -2, 2, 0},
      {"sigmoid", [](const Tensor& x) { return tg::sigmoid(x); }, -3, 3, 0},
      {"relu", [](const Tensor& x) { return tg::relu(x); }, 0, 0, 0.1},
      {"softplus", [](const Tensor& x) { return tg::softplus(x); }, -3, 3, 0},
      {"negate", [](const Tensor& x) { return -x; }, -2, 2, 0},
      {"pow(x, 3)", [](const Tensor& x) { return tg::pow(x, 3); }, -2, 2, 0},
      {"pow(x, 0.5)", [](const Tensor& x) { return tg::pow(x, 0.5); }, 0.2, 3, 0},
      {"pow(x, -1.5)", [](const Tensor& x) { return tg::pow(x, -1.5); }, 0.3, 3, 0},
  };
  unsigned seed = 1;
  for (const UnaryCase& c : cases)
    for (const Shape& s : shapes) {
      const MatrixXd x = c.gap > 0 ? away_from_zero(s.rows, s.cols, c.gap, ++seed)
                                   : random_matrix(s.rows, s.cols, c.lo, c.hi, ++seed);
      expect_gradient(name(c.name, s), [&](const std::vector<Tensor>& in) { return weighted(c.op(in[0])); },
                      {x});
    }
}

TEST(TensorOps, UnaryValuesMatchTheScalarFunctions) {
  tg::Tape tape;
  const MatrixXd x = random_matrix(3, 2, 0.1, 2, 7);
  const Tensor t = tg::constant(x);
  EXPECT_TRUE(tg::exp(t).value().isApprox(x.array().exp().matrix(), 1e-15));
  EXPECT_TRUE(tg::log(t).value().isApprox(x.array().log().matrix(), 1e-15));
  EXPECT_TRUE(tg::sigmoid(t).value().isApprox((1 / (1 + (-x.array()).exp())).matrix(), 1e-15));
  EXPECT_TRUE(tg::pow(t, 2.5).value().isApprox(x.array().pow(2.5).matrix(), 1e-15));
}

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
};
const std::vector<BinaryCase> binary_ops = {
    {"+", [](const Tensor& a, const Tensor& b) { return a + b; }},
    {"-", [](const Tensor& a, const Tensor& b) { return a - b; }},
    {"*", [](const Tensor& a, const Tensor& b) { return a * b; }},
    {"/", [](const Tensor& a, const Tensor& b) { return a / b; }},
};

// Every broadcasting case: equal shapes, a row, a column, a 1×1 on either side, and a
// column against a row (both broadcast).
TEST(TensorOps, BinaryOperatorsWithEveryBroadcast) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 4}, {3, 4}}, {{3, 4}, {1, 4}}, {{3, 4}, {3, 1}}, {{3, 4}, {1, 1}}, {{1, 4}, {3, 4}},
      {{3, 1}, {3, 4}}, {{1, 1}, {3, 4}}, {{3, 1}, {1, 4}}, {{1, 1}, {1, 1}}, {{1, 5}, {1, 5}},
  };
  unsigned seed = 100;
  for (const BinaryCase& c : binary_ops)
    for (const auto& [sa, sb] : pairs) {
      const MatrixXd a = random_matrix(sa.rows, sa.cols, -2, 2, ++seed);
      const MatrixXd b = random_matrix(sb.rows, sb.cols, 0.5, 2, ++seed);  // positive: safe divisor
      const std::string what = std::string(c.name) + " of " + std::to_string(sa.rows) + "×" +
                               std::to_string(sa.cols) + " and " + std::to_string(sb.rows) + "×" +
                               std::to_string(sb.cols);
      expect_gradient(what, [&](const std::vector<Tensor>& in) { return weighted(c.op(in[0], in[1])); },
                      {a, b});
    }
}

// A Var scales or shifts a tensor; numbers on either side.
TEST(TensorOps, VarsAndNumbersMixWithTensors) {
  const MatrixXd x = random_matrix(3, 2, 0.5, 2, 3);
  const MatrixXd s = random_matrix(1, 1, 0.5, 2, 4);
  expect_gradient("Var * Tensor + Var",
                  [](const std::vector<Tensor>& in) {
                    const Var v = tg::sum(in[1]);
                    return weighted(v * in[0] + v * v);
                  },
                  {x, s});
  expect_gradient("Tensor / Var - Var",
                  [](const std::vector<Tensor>& in) {
                    const Var v = tg::sum(in[1]);
                    return weighted(in[0] / v - v);
                  },
                  {x, s});
  expect_gradient("numbers",
                  [](const std::vector<Tensor>& in) {
                    return weighted(2.0 * in[0] + 1.0 - in[0] / 4.0 + 3.0 / in[0] - 1.5 * (0.5 - in[0]));
                  },
                  {x});
}

}  // namespace
