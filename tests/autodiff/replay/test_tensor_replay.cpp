// Tensor graphs on a replay tape: recorded once, then replayed with new data in the
// constant_view buffers, new labels in place and new Parameter values. Every operation
// family is in the graph; value and every gradient must equal a fresh recording's bit
// for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;
using Matrix = Eigen::MatrixXd;

struct Problem {
  Matrix x{Matrix::Random(5, 3)};              // data, read through constant_view
  Matrix targets{Matrix::Random(5, 2)};        // regression targets, also a view
  Matrix probabilities{Matrix::Random(5, 2)};  // bce targets in [0, 1]
  std::vector<int> labels{0, 2, 1, 1, 0};
  tg::Parameter w{Matrix::Random(3, 3) * 0.5};
  tg::Parameter b{Matrix::Random(1, 3) * 0.1};
  tg::Parameter v{Matrix::Random(3, 2) * 0.5};
  tg::Parameter phi{0.3};  // a scalar Parameter used as a Var
  tg::Parameter scale{Matrix::Constant(1, 1, 1.5)};

  Problem() { probabilities = (probabilities.array() + 1) / 2; }

  // Every tensor operation family, and scalar statements on their results.
  tg::Var loss() {
    const tg::Tensor X = tg::constant_view(x);
    const tg::Tensor hidden = tg::tanh(tg::matmul(X, w.tensor()) + b.tensor());  // broadcast row
    const tg::Tensor logits = tg::matmul(hidden, tg::transposed(w.tensor())) * scale.tensor();
    const tg::Var ce = tg::softmax_cross_entropy(logits, labels);
    const tg::Tensor out = tg::matmul(hidden, v.tensor());
    const tg::Var m = tg::mse(out, tg::constant_view(targets));
    const tg::Var bce = tg::binary_cross_entropy(tg::sigmoid(out), tg::constant_view(probabilities));
    const tg::Var logits_bce = tg::bce_with_logits(out, tg::constant_view(probabilities));
    const tg::Tensor smooth = tg::linear_recurrence(tg::sum(out, tg::Axis::Cols), phi.var());  // 5×1
    const tg::Tensor stacked = tg::concat({smooth, tg::sum(hidden, tg::Axis::Cols)}, tg::Axis::Cols);
    const tg::Tensor soft = tg::log_softmax(tg::reshape(stacked, 2, 5));
    const tg::Tensor picked = tg::transpose(tg::rows(hidden, std::vector<int>{4, 0}));
    const tg::Var shift = phi.var() * 2.0 + tg::mean(tg::softmax(hidden));
    const tg::Tensor shifted = tg::exp(tg::mean(soft, tg::Axis::Rows) * 0.1) + tg::as_tensor(shift);
    return ce + m + bce * 0.5 + logits_bce + tg::dot(shifted, shifted) * 0.01 + tg::sum(picked) * 0.1 +
           tg::abs(shift);
  }

  std::vector<tg::Parameter*> parameters() { return {&w, &b, &v, &phi, &scale}; }
  void zero_grad() {
    for (tg::Parameter* p : parameters()) p->zero_grad();
  }
  // New data, labels and weights, as a training step's next minibatch would bring.
  void move(int k) {
    x = Matrix::Random(5, 3);
    targets = Matrix::Random(5, 2);
    probabilities = (Matrix::Random(5, 2).array() + 1) / 2;
    for (int& label : labels) label = (label + k) % 3;
    for (tg::Parameter* p : parameters())
      p->value().array() += 0.05 * Matrix::Random(p->rows(), p->cols()).array();
  }
};

TEST(TensorReplay, EveryOperationFamilyReplaysBitIdentically) {
  std::srand(7);
  Problem problem;
  tg::ReplayTape replayable;
  const tg::Var loss = problem.loss();
  for (int k = 1; k <= 5; ++k) {
    problem.move(k);
    double expected = 0;
    std::vector<Matrix> expected_grads;
    {
      tg::Tape fresh;
      problem.zero_grad();
      const tg::Var f = problem.loss();
      fresh.backward(f);
      expected = f.value();
      for (tg::Parameter* p : problem.parameters()) expected_grads.push_back(p->grad());
    }
    problem.zero_grad();
    replayable.replay();
    replayable.backward(loss);
    EXPECT_EQ(replayable.replayed_value(loss.index()), expected) << "move " << k;
    const std::vector<tg::Parameter*> parameters = problem.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i)
      EXPECT_TRUE(parameters[i]->grad() == expected_grads[i]) << "parameter " << i << ", move " << k << "\n"
                                                              << parameters[i]->grad() << "\nvs\n"
                                                              << expected_grads[i];
  }
}

// A label outside the classes, put in place after recording, is caught by the replay as
// it is by recording, not read out of bounds.
TEST(TensorReplay, BadDataAtReplayIsRefusedLikeAtRecording) {
  Problem problem;
  tg::ReplayTape replayable;
  const tg::Var loss = problem.loss();
  problem.labels[2] = 7;
  try {
    replayable.replay();
    FAIL() << "a label of 7 among 3 classes replayed";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 7 at row 2"), std::string::npos) << e.what();
  }
  (void)loss;
}

// A custom_op with a backward function has no forward to replay: the tape says which
// statement, and what recorded it.
TEST(TensorReplay, OpaqueStatementsAreNamed) {
  tg::ReplayTape tape;
  tg::Var x = 2.0;
  const std::vector<tg::Var> in{x};
  const tg::Var y = tg::custom_op(4.0, in, [](const double& a, std::span<double> d) { d[0] += 4 * a; });
  try {
    tape.replay();
    FAIL() << "an opaque statement replayed";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("custom_op with a backward function"), std::string::npos)
        << e.what();
  }
  (void)y;
}

// A tensor operation on data alone has no adjoint: recorded as a leaf and then given its
// forward, right after other leaves (a Var, the data's view). A replay passes over a
// stretch of leaves at once, and must still rerun it: the exp here reads the data's new
// values. f = x · Σ exp(data), so f = x·Σ exp(new data) after the replay and df/dx is
// that sum.
TEST(TensorReplay, OperationOnDataAloneAfterLeavesIsRecomputed) {
  Matrix data{{0.1, 0.2}, {0.3, 0.4}};
  tg::ReplayTape tape;
  tg::Var x = 2.0;
  const tg::Tensor c = tg::constant_view(data);
  const tg::Tensor e = tg::exp(c);  // no adjoint: nothing it reads needs a gradient
  const tg::Var f = x * tg::sum(e);
  data << 1.0, -1.0, 0.5, 2.0;
  tape.replay();
  tape.backward(f);
  const double sum = std::exp(1.0) + std::exp(-1.0) + std::exp(0.5) + std::exp(2.0);
  EXPECT_NEAR(tape.replayed_value(f.index()), 2.0 * sum, 1e-12 * sum);
  EXPECT_NEAR(x.adjoint(), sum, 1e-12 * sum);
}

}  // namespace
