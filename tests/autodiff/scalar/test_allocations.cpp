// Once a tape has grown to the size of a recording, recording it again (clear, record,
// gradient) allocates nothing (counted by tests/support/allocation_counter.cpp).
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.hpp>

#include "../../support/allocation_counter.hpp"

namespace tg = tapegrad;
using tg::Var;

namespace {

TEST(Allocations, NoneAfterTheFirstGradient) {
  tg::Tape tape;
  const Var* inputs = nullptr;
  double gradient[3];
  long after_first = 0;
  for (int step = 0; step < 50; ++step) {
    tape.clear();
    Var x[3] = {0.5, -1.0, 2.0};
    inputs = x;
    Var f;
    for (int i = 0; i < 100; ++i) f += tg::sin(x[0] * i) * x[1] + tg::exp(-tg::square(x[2] - i));
    tg::gradient(f, std::span<const Var>(inputs, 3), std::span<double>(gradient));
    tape.backward(f);
    if (step == 0) after_first = tapegrad::testing::allocation_count();
  }
  EXPECT_EQ(tapegrad::testing::allocation_count(), after_first);
  EXPECT_NE(gradient[0], 0.0);
}

// One training step of a small sigmoid network on a minibatch: clear, forward
// (gather, two products, broadcast bias, sigmoid, fused softmax cross-entropy),
// zero_grad, backward, SGD update. From the second step on, nothing is allocated.
TEST(Allocations, NoneAfterTheFirstTensorTrainingStep) {
  using Eigen::MatrixXd;
  auto spread = [](Eigen::Index rows, Eigen::Index cols, double phase) {
    MatrixXd m(rows, cols);
    for (Eigen::Index k = 0; k < m.size(); ++k) m(k) = 0.5 * std::sin(phase + 1.7 * static_cast<double>(k));
    return m;
  };
  tg::Parameter w1(spread(8, 4, 0.0)), b1(MatrixXd::Zero(1, 8));
  tg::Parameter w2(spread(3, 8, 1.0)), b2(MatrixXd::Zero(1, 3));
  const MatrixXd data = spread(32, 4, 2.0) * 2;
  std::vector<int> labels(32), batch(16), batch_labels(16);
  for (Eigen::Index i = 0; i < 32; ++i)  // a class the inputs determine: learnable
    labels[static_cast<std::size_t>(i)] = (data(i, 0) > 0 ? 1 : 0) + (data(i, 1) > 0.3 ? 1 : 0);
  tg::Parameter* parameters[] = {&w1, &b1, &w2, &b2};

  tg::Tape tape;
  long after_first = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 40; ++step) {
    for (std::size_t k = 0; k < batch.size(); ++k) {
      batch[k] = static_cast<int>((static_cast<std::size_t>(step) * 16 + k) % 32);
      batch_labels[k] = labels[static_cast<std::size_t>(batch[k])];
    }
    tape.clear();
    const tg::Tensor x = tg::rows(tg::constant(data), batch);
    const tg::Tensor h = tg::sigmoid(tg::matmul(x, tg::transposed(w1.tensor())) + b1.tensor());
    const tg::Tensor logits = tg::matmul(h, tg::transposed(w2.tensor())) + b2.tensor();
    const Var loss = tg::softmax_cross_entropy(logits, batch_labels);
    for (tg::Parameter* p : parameters) p->zero_grad();
    tape.backward(loss);
    for (tg::Parameter* p : parameters) p->value() -= 0.5 * p->grad();
    if (step == 0) {
      after_first = tapegrad::testing::allocation_count();
      first_loss = loss.value();
    }
    if (step % 2 == 0) last_loss = loss.value();  // the same minibatch as step 0
  }
  EXPECT_EQ(tapegrad::testing::allocation_count(), after_first);
  EXPECT_LT(last_loss, first_loss);  // and it trains
}

}  // namespace
