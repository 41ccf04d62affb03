// Losses and normalizations: gradients, and stability at extreme logits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

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

// The same in float, where exp underflows from about −87 (the vectorized exp must give
// 0 there, not the smallest number it clamps to), with enough rows to fill SIMD registers.
TEST(TensorOps, FloatSoftmaxUnderflowsToExactZero) {
  tg::BasicTape<float> tape;
  Eigen::MatrixXf x0(16, 2);
  x0.col(0).setConstant(100.0f);
  x0.col(1).setConstant(-100.0f);
  tg::FloatParameter logits(x0);
  const tg::BasicVar<float> ce = tg::softmax_cross_entropy(logits.tensor(), std::vector<int>(16, 0));
  EXPECT_EQ(ce.value(), 0.0f);
  tape.backward(ce);
  EXPECT_EQ(logits.grad(), Eigen::MatrixXf::Zero(16, 2));
  const tg::FloatTensor sm = tg::softmax(tg::constant(x0));
  EXPECT_EQ(sm.value().col(0), Eigen::VectorXf::Ones(16));
  EXPECT_EQ(sm.value().col(1), Eigen::VectorXf::Zero(16));
}

}  // namespace
