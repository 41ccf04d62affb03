// Tensors mixed with scalar Vars (a graph derived by hand), float against double, and
// misuse: shape mismatches and stale tensors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

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
