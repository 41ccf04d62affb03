// Every tensor operation gradient-checked in double against five-point finite
// differences (relative error at most 1e-7) at random shapes, including 1×1, 1×n and
// n×1, and every broadcasting case. Each output is reduced to a Var with fixed random
// weights, so every entry of the output's adjoint is different.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <tapegrad/autodiff/check_tensor_gradient.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using Eigen::MatrixXd;
using tg::Tensor;
using tg::Var;

namespace {

constexpr double max_relative_error = 1e-7;

MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  MatrixXd m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) m(k) = dist(rng);
  return m;
}

// Random entries with |x| ≥ gap, for functions with a kink at 0.
MatrixXd away_from_zero(Eigen::Index rows, Eigen::Index cols, double gap, unsigned seed) {
  MatrixXd m = random_matrix(rows, cols, gap, 2.0, seed);
  for (Eigen::Index k = 0; k < m.size(); k += 2) m(k) = -m(k);
  return m;
}

// Σ w∘t with weights fixed by t's shape.
Var weighted(const Tensor& t) {
  return tg::dot(t,
                 tg::constant(random_matrix(t.rows(), t.cols(), 0.5, 1.5, 1000 + 37 * t.rows() + t.cols())));
}

using TensorFn = std::function<Var(const std::vector<Tensor>&)>;

void expect_gradient(const std::string& what, const TensorFn& f, const std::vector<MatrixXd>& inputs) {
  const tg::TensorGradientCheck check = tg::check_tensor_gradient(f, inputs);
  EXPECT_LE(check.max_rel_error, max_relative_error) << what;
  EXPECT_TRUE(std::isfinite(check.value)) << what;
}

struct Shape {
  Eigen::Index rows, cols;
};
const std::vector<Shape> shapes = {{1, 1}, {1, 5}, {4, 1}, {3, 4}, {6, 2}};

std::string name(const char* op, const Shape& s) {
  return std::string(op) + " at " + std::to_string(s.rows) + "×" + std::to_string(s.cols);
}

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

// ------------------------------------------------------------------- products

TEST(TensorOps, MatmulInEveryTransposedForm) {
  const std::vector<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>> mkn = {
      {1, 1, 1}, {1, 4, 1}, {4, 1, 3}, {3, 4, 2}, {5, 3, 1}, {1, 3, 4}};
  unsigned seed = 200;
  for (const auto& [m, k, n] : mkn) {
    const std::string dims =
        std::to_string(m) + "×" + std::to_string(k) + "·" + std::to_string(k) + "×" + std::to_string(n);
    const MatrixXd a = random_matrix(m, k, -1, 1, ++seed), b = random_matrix(k, n, -1, 1, ++seed);
    const MatrixXd at = a.transpose(), bt = b.transpose();
    expect_gradient("A B " + dims,
                    [](const std::vector<Tensor>& in) { return weighted(tg::matmul(in[0], in[1])); }, {a, b});
    expect_gradient(
        "Aᵀ B " + dims,
        [](const std::vector<Tensor>& in) { return weighted(tg::matmul(tg::transposed(in[0]), in[1])); },
        {at, b});
    expect_gradient(
        "A Bᵀ " + dims,
        [](const std::vector<Tensor>& in) { return weighted(tg::matmul(in[0], tg::transposed(in[1]))); },
        {a, bt});
    expect_gradient("Aᵀ Bᵀ " + dims,
                    [](const std::vector<Tensor>& in) {
                      return weighted(tg::matmul(tg::transposed(in[0]), tg::transposed(in[1])));
                    },
                    {at, bt});
  }
}

TEST(TensorOps, MatmulValueIsTheProduct) {
  tg::Tape tape;
  const MatrixXd a = random_matrix(3, 4, -1, 1, 1), b = random_matrix(2, 4, -1, 1, 2);
  const Tensor c = tg::matmul(tg::constant(a), tg::transposed(tg::constant(b)));
  EXPECT_TRUE(c.value().isApprox(a * b.transpose(), 1e-15));
}

// ----------------------------------------------------------------- reductions

TEST(TensorOps, SumMeanAndDot) {
  unsigned seed = 300;
  for (const Shape& s : shapes) {
    const MatrixXd x = random_matrix(s.rows, s.cols, -1, 1, ++seed);
    const MatrixXd y = random_matrix(s.rows, s.cols, -1, 1, ++seed);
    expect_gradient(name("sum", s), [](const std::vector<Tensor>& in) { return tg::sum(tg::square(in[0])); },
                    {x});
    expect_gradient(name("mean", s), [](const std::vector<Tensor>& in) { return tg::mean(tg::exp(in[0])); },
                    {x});
    expect_gradient(name("sum over rows", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::sum(in[0], tg::Axis::Rows)); },
                    {x});
    expect_gradient(name("sum over columns", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::sum(in[0], tg::Axis::Cols)); },
                    {x});
    expect_gradient(name("mean over rows", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::mean(in[0], tg::Axis::Rows)); },
                    {x});
    expect_gradient(name("mean over columns", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::mean(in[0], tg::Axis::Cols)); },
                    {x});
    expect_gradient(name("dot", s), [](const std::vector<Tensor>& in) { return tg::dot(in[0], in[1]); },
                    {x, y});
  }
}

TEST(TensorOps, ReductionValuesAndShapes) {
  tg::Tape tape;
  MatrixXd x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  const Tensor t = tg::constant(x);
  EXPECT_EQ(tg::sum(t).value(), 21.0);
  EXPECT_EQ(tg::mean(t).value(), 3.5);
  const Tensor rows = tg::sum(t, tg::Axis::Rows);
  ASSERT_EQ(rows.rows(), 1);
  ASSERT_EQ(rows.cols(), 3);
  EXPECT_EQ(rows.value()(0, 2), 9.0);
  const Tensor cols = tg::mean(t, tg::Axis::Cols);
  ASSERT_EQ(cols.rows(), 2);
  ASSERT_EQ(cols.cols(), 1);
  EXPECT_EQ(cols.value()(1, 0), 5.0);
  EXPECT_EQ(tg::dot(t, t).value(), 91.0);
}

// --------------------------------------------------------------- shape moves

TEST(TensorOps, TransposeRowsConcatReshape) {
  const MatrixXd x = random_matrix(4, 3, -1, 1, 400), y = random_matrix(2, 3, -1, 1, 401),
                 z = random_matrix(4, 2, -1, 1, 402);
  expect_gradient("transpose", [](const std::vector<Tensor>& in) { return weighted(tg::transpose(in[0])); },
                  {x});
  expect_gradient("rows with repeats",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::rows(in[0], std::vector<int>{3, 0, 3, 1, 3}));
                  },
                  {x});
  expect_gradient("concat rows",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::square(tg::concat({in[0], in[1]}, tg::Axis::Rows)));
                  },
                  {x, y});
  expect_gradient("concat columns",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::square(tg::concat({in[0], in[1], in[0]}, tg::Axis::Cols)));
                  },
                  {x, z});
  expect_gradient("reshape",
                  [](const std::vector<Tensor>& in) { return weighted(tg::exp(tg::reshape(in[0], 2, 6))); },
                  {x});
}

TEST(TensorOps, ShapeMovesPlaceEntriesAsDocumented) {
  tg::Tape tape;
  MatrixXd x(3, 2);
  x << 1, 2, 3, 4, 5, 6;
  const Tensor t = tg::constant(x);
  const Tensor picked = tg::rows(t, std::vector<int>{2, 0});
  EXPECT_EQ(picked.value()(0, 1), 6.0);
  EXPECT_EQ(picked.value()(1, 0), 1.0);
  const Tensor stacked = tg::concat({t, t}, tg::Axis::Rows);
  EXPECT_EQ(stacked.rows(), 6);
  EXPECT_EQ(stacked.value()(4, 1), 4.0);
  const Tensor side = tg::concat({t, t}, tg::Axis::Cols);
  EXPECT_EQ(side.cols(), 4);
  EXPECT_EQ(side.value()(2, 3), 6.0);
  const Tensor flat = tg::reshape(t, 1, 6);  // column-major: 1 3 5 2 4 6
  EXPECT_EQ(flat.value()(0, 1), 3.0);
  EXPECT_EQ(tg::transpose(t).value()(1, 2), 6.0);
}

// ---------------------------------------------------------------------- losses

TEST(TensorOps, LossesAndNormalizations) {
  unsigned seed = 500;
  for (const Shape& s : shapes) {
    const MatrixXd x = random_matrix(s.rows, s.cols, -2, 2, ++seed);
    const MatrixXd y = random_matrix(s.rows, s.cols, 0, 1, ++seed);
    const MatrixXd p = random_matrix(s.rows, s.cols, 0.05, 0.95, ++seed);
    expect_gradient(name("mse", s), [](const std::vector<Tensor>& in) { return tg::mse(in[0], in[1]); },
                    {x, y});
    expect_gradient(name("bce", s),
                    [](const std::vector<Tensor>& in) { return tg::binary_cross_entropy(in[0], in[1]); },
                    {p, y});
    expect_gradient(
        name("bce_with_logits", s),
        [&y](const std::vector<Tensor>& in) { return tg::bce_with_logits(in[0], tg::constant(y)); }, {x});
    expect_gradient(name("softmax", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::softmax(in[0])); }, {x});
    expect_gradient(name("log_softmax", s),
                    [](const std::vector<Tensor>& in) { return weighted(tg::log_softmax(in[0])); }, {x});
    std::vector<int> labels;
    for (Eigen::Index i = 0; i < s.rows; ++i) labels.push_back(static_cast<int>((i * 7 + 3) % s.cols));
    expect_gradient(
        name("softmax_cross_entropy", s),
        [&labels](const std::vector<Tensor>& in) { return tg::softmax_cross_entropy(in[0], labels); }, {x});
  }
}

// At logits of ±1000 a naive formula gives inf or NaN. By hand:
//  bce_with_logits(1000, 0) = 1000, ∂ = sigmoid(1000) − 0 = 1; (−1000, 1): 1000, ∂ = −1;
//  (1000, 1) and (−1000, 0): 0, ∂ = 0. The mean over 4 entries divides by 4.
TEST(TensorOps, StableLossesAtExtremeLogits) {
  tg::Tape tape;
  MatrixXd x0(1, 4), y0(1, 4);
  x0 << 1000, -1000, 1000, -1000;
  y0 << 0, 1, 1, 0;
  tg::Parameter x(x0);
  const Var bce = tg::bce_with_logits(x.tensor(), tg::constant(y0));
  EXPECT_DOUBLE_EQ(bce.value(), 2000.0 / 4);
  tape.backward(bce);
  EXPECT_EQ(x.grad(), (MatrixXd(1, 4) << 0.25, -0.25, 0, 0).finished());

  // softmax_cross_entropy of rows (1000, −1000) and (−1000, 1000), labels (1, 1):
  // losses 2000 and 0, mean 1000; ∂ = (softmax − one_hot) / 2 = ((1, −1), (0, 0)) / 2.
  x.zero_grad();
  tape.clear();
  tg::Parameter logits((MatrixXd(2, 2) << 1000, -1000, -1000, 1000).finished());
  const Var ce = tg::softmax_cross_entropy(logits.tensor(), std::vector<int>{1, 1});
  EXPECT_DOUBLE_EQ(ce.value(), 1000.0);
  tape.backward(ce);
  EXPECT_EQ(logits.grad(), (MatrixXd(2, 2) << 0.5, -0.5, 0, 0).finished());

  // log_softmax stays finite: (0, −2000) for (1000, −1000).
  const Tensor ls = tg::log_softmax(tg::constant((MatrixXd(1, 2) << 1000, -1000).finished()));
  EXPECT_EQ(ls.value()(0, 0), 0.0);
  EXPECT_EQ(ls.value()(0, 1), -2000.0);
  const Tensor sm = tg::softmax(tg::constant((MatrixXd(1, 2) << 1000, -1000).finished()));
  EXPECT_EQ(sm.value()(0, 0), 1.0);
  EXPECT_EQ(sm.value()(0, 1), 0.0);

  // BCE on probabilities 0 and 1: each log clamped at −100, as PyTorch's BCELoss.
  const Var clamped = tg::binary_cross_entropy(tg::constant((MatrixXd(1, 2) << 0.0, 1.0).finished()),
                                               tg::constant((MatrixXd(1, 2) << 1.0, 0.0).finished()));
  EXPECT_DOUBLE_EQ(clamped.value(), 100.0);
}

// ----------------------------------------------------------------- mixed graph

// L = mean((a·x + b − y)²) with x = (1, 2, 3), y = (2, 3, 5), a = 0.5, b = 1. By hand:
// residuals r = (−0.5, −1, −2.5), L = 7.5 / 3 = 2.5,
// ∂L/∂a = (2/3) Σ r_i x_i = (2/3)(−10) = −20/3, ∂L/∂b = (2/3) Σ r_i = −8/3.
TEST(TensorOps, MixedScalarAndTensorGraphByHand) {
  tg::Tape tape;
  tg::Parameter a(0.5), b(1.0);
  const Tensor x = tg::constant((MatrixXd(3, 1) << 1, 2, 3).finished());
  const Tensor y = tg::constant((MatrixXd(3, 1) << 2, 3, 5).finished());
  const Var loss = tg::mse(a.var() * x + b.var(), y);
  EXPECT_DOUBLE_EQ(loss.value(), 2.5);
  tape.backward(loss);
  EXPECT_DOUBLE_EQ(a.grad()(0, 0), -20.0 / 3);
  EXPECT_DOUBLE_EQ(b.grad()(0, 0), -8.0 / 3);
  // backward again accumulates, as PyTorch does; zero_grad clears.
  tape.backward(loss);
  EXPECT_DOUBLE_EQ(a.grad()(0, 0), -40.0 / 3);
  a.zero_grad();
  EXPECT_EQ(a.grad()(0, 0), 0.0);
}

// The same graph in float (training's default type) gives the double gradient to float
// precision.
TEST(TensorOps, FloatTensorsMatchDouble) {
  const MatrixXd w0 = random_matrix(3, 4, -1, 1, 600), x0 = random_matrix(5, 4, -1, 1, 601);
  const std::vector<int> labels = {0, 2, 1, 1, 0};
  auto loss_gradient = [&]<class T>(T) {
    tg::BasicTape<T> tape;
    tg::BasicParameter<T> w(w0.cast<T>().eval());
    const tg::BasicTensor<T> x = tg::constant(x0.cast<T>().eval());
    const tg::BasicVar<T> loss =
        tg::softmax_cross_entropy(tg::sigmoid(tg::matmul(x, tg::transposed(w.tensor()))), labels);
    tape.backward(loss);
    return w.grad().template cast<double>().eval();
  };
  const MatrixXd in_double = loss_gradient(0.0);
  const MatrixXd in_float = loss_gradient(0.0f);
  EXPECT_LE((in_double - in_float).cwiseAbs().maxCoeff(),
            1e-6 * std::max(1.0, in_double.cwiseAbs().maxCoeff()));
  EXPECT_GT(in_double.cwiseAbs().maxCoeff(), 1e-3);
}

// ---------------------------------------------------------------------- errors

TEST(TensorOps, ShapeMismatchesNameTheOpAndBothShapes) {
  using ::testing::HasSubstr;
  tg::Tape tape;
  const Tensor a = tg::constant(MatrixXd::Zero(2, 3)), b = tg::constant(MatrixXd::Zero(4, 5));
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const tg::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message([&] { (void)tg::matmul(a, b); }), HasSubstr("matmul: shapes 2×3 and 4×5"));
  EXPECT_THAT(message([&] { (void)(a + b); }), HasSubstr("+: shapes 2×3 and 4×5 do not broadcast"));
  EXPECT_THAT(message([&] { (void)tg::mse(a, b); }), HasSubstr("mse: prediction is 2×3 but target is 4×5"));
  EXPECT_THAT(message([&] { (void)tg::dot(a, b); }), HasSubstr("dot: shapes 2×3 and 4×5"));
  EXPECT_THAT(message([&] {
                (void)tg::concat({a, b}, tg::Axis::Rows);
              }),
              HasSubstr("part 1 is 4×5 but part 0 is 2×3"));
  EXPECT_THAT(message([&] { (void)tg::reshape(a, 4, 2); }), HasSubstr("reshape: cannot view a 2×3"));
  EXPECT_THAT(message([&] {
                (void)tg::rows(a, std::vector<int>{0, 2});
              }),
              HasSubstr("index 2 at position 1"));
  EXPECT_THAT(message([&] {
                (void)tg::softmax_cross_entropy(a, std::vector<int>{0, 3});
              }),
              HasSubstr("label 3 at row 1"));
  EXPECT_THAT(message([&] { (void)tg::softmax_cross_entropy(a, std::vector<int>{0}); }),
              HasSubstr("1 labels for 2×3"));
}

TEST(TensorOps, StaleTensorsAreCaught) {
  tg::Tape tape;
  const Tensor a = tg::constant(MatrixXd::Ones(2, 2));
  tape.clear();
  EXPECT_THROW((void)tg::exp(a), tg::Error);
  EXPECT_THROW((void)a.value(), tg::Error);
  EXPECT_THROW((void)tg::exp(Tensor()), tg::Error);
}

}  // namespace
