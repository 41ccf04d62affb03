// linear_recurrence (y_t = x_t + φ·y_{t−1}) and constant_view.
#include <gtest/gtest.h>

#include <random>
#include <tapegrad/autodiff/check/tensor_gradient.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using Eigen::MatrixXd;

namespace {

TEST(LinearRecurrence, ValuesAndGradientByHand) {
  // x = (1, 2, 3), φ = 0.5: y = (1, 2.5, 4.25). f = y_0 + y_1 + y_2:
  // ∂f/∂x_2 = 1, ∂f/∂x_1 = 1 + φ = 1.5, ∂f/∂x_0 = 1 + φ + φ² = 1.75;
  // ∂f/∂φ = ∂y_1/∂φ + ∂y_2/∂φ = y_0 + (y_1 + φ·y_0) = 1 + 3 = 4.
  tg::Tape tape;
  tg::Parameter x(MatrixXd((MatrixXd(3, 1) << 1, 2, 3).finished()));
  tg::Parameter phi(0.5);
  const tg::Tensor y = tg::linear_recurrence(x.tensor(), phi.var());
  EXPECT_DOUBLE_EQ(y.value()(0), 1);
  EXPECT_DOUBLE_EQ(y.value()(1), 2.5);
  EXPECT_DOUBLE_EQ(y.value()(2), 4.25);
  tape.backward(tg::sum(y));
  EXPECT_DOUBLE_EQ(x.grad()(0), 1.75);
  EXPECT_DOUBLE_EQ(x.grad()(1), 1.5);
  EXPECT_DOUBLE_EQ(x.grad()(2), 1.0);
  EXPECT_DOUBLE_EQ(phi.grad()(0), 4.0);
}

TEST(LinearRecurrence, GradientMatchesFiniteDifferencesPerColumn) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1, 1);
  for (const auto& [rows, cols] : {std::pair{1, 1}, std::pair{6, 1}, std::pair{5, 3}}) {
    MatrixXd x(rows, cols), weights(rows, cols);
    for (Eigen::Index k = 0; k < x.size(); ++k) {
      x(k) = dist(rng);
      weights(k) = 1 + dist(rng) / 2;
    }
    const MatrixXd phi = MatrixXd::Constant(1, 1, 0.8);
    const auto check = tg::check_tensor_gradient(
        [&](const std::vector<tg::Tensor>& t) {
          return tg::dot(tg::linear_recurrence(t[0], tg::sum(t[1])), tg::constant(weights));
        },
        {x, phi});
    EXPECT_LE(check.max_rel_error, 1e-7) << rows << "×" << cols;
  }
}

TEST(LinearRecurrence, ConstantCoefficientAndConstantInput) {
  tg::Tape tape;
  tg::Parameter x(MatrixXd((MatrixXd(2, 1) << 1, 1).finished()));
  const tg::Tensor y = tg::linear_recurrence(x.tensor(), 2.0);  // (1, 3)
  tape.backward(tg::sum(y));
  EXPECT_DOUBLE_EQ(x.grad()(0), 3.0);  // 1 + φ
  EXPECT_DOUBLE_EQ(x.grad()(1), 1.0);

  // Only φ needs a gradient: ∂(y_0 + y_1)/∂φ = y_0 = 1.
  tape.clear();
  tg::Parameter phi(2.0);
  const tg::Tensor z = tg::linear_recurrence(tg::constant(MatrixXd::Ones(2, 1)), phi.var());
  tape.backward(tg::sum(z));
  EXPECT_DOUBLE_EQ(phi.grad()(0), 1.0);
}

TEST(ConstantView, ReadsTheMatrixWithoutCopyingAndNeedsNoGradient) {
  tg::Tape tape;
  const MatrixXd data = (MatrixXd(2, 2) << 1, 2, 3, 4).finished();
  const tg::Tensor view = tg::constant_view(data);
  EXPECT_EQ(view.data(), data.data());
  EXPECT_FALSE(view.requires_grad());
  EXPECT_EQ(view.value(), data);
  tg::Parameter w(MatrixXd::Ones(2, 1));
  tape.backward(tg::sum(tg::matmul(view, w.tensor())));
  EXPECT_DOUBLE_EQ(w.grad()(0), 1 + 3);  // column sums of data
  EXPECT_DOUBLE_EQ(w.grad()(1), 2 + 4);
}

}  // namespace
