// Tensor adjoints are assigned on their first write of a sweep (scalar/tensor_adjoints.hpp):
// nothing is zeroed before a sweep, so these check what zeroing used to guarantee —
// a buffer no one wrote reads as zero, a second sweep does not add to the first, an
// input used twice gets both contributions, and Parameter gradients accumulate across
// backward() calls until zero_grad(), as PyTorch's do.
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

TEST(AdjointWrites, AnOperationTheOutputDoesNotReachHasAZeroAdjoint) {
  tg::Tape tape;
  const MatrixXd x0 = random_matrix(3, 2, -1, 1, 1);
  tg::Parameter x(x0);
  const Tensor t = x.tensor();
  const Tensor used = tg::exp(t);
  const Tensor unused = tg::sin(t) * 3.0;
  tape.backward(tg::sum(used));
  EXPECT_EQ(unused.adjoint(), MatrixXd::Zero(3, 2));
  EXPECT_EQ(x.grad(), x0.array().exp().matrix());
}

TEST(AdjointWrites, ASecondSweepDoesNotAddToTheFirst) {
  tg::Tape tape;
  const MatrixXd x0 = random_matrix(4, 3, -1, 1, 2);
  tg::Parameter x(x0);
  const Tensor h = tg::tanh(x.tensor());
  const Var f = tg::sum(tg::square(h));
  tape.backward(f);
  const MatrixXd first = h.adjoint();
  tape.backward(f);
  EXPECT_EQ(h.adjoint(), first);
  EXPECT_EQ(first, (2 * h.value()).eval());
  // The Parameter's gradient accumulates across the two, as PyTorch's does.
  const MatrixXd once = (2 * h.value().array() * (1 - h.value().array().square())).matrix();
  EXPECT_TRUE(x.grad().isApprox(2 * once, 1e-15));
  x.zero_grad();
  tape.backward(f);
  EXPECT_TRUE(x.grad().isApprox(once, 1e-15));
}

TEST(AdjointWrites, ZeroGradThenAGraphWithoutTheParameterLeavesZero) {
  tg::Tape tape;
  tg::Parameter used(random_matrix(2, 2, -1, 1, 3)), idle(random_matrix(2, 2, -1, 1, 4));
  tape.backward(tg::sum(used.tensor() * idle.tensor()));
  EXPECT_NE(idle.grad(), MatrixXd::Zero(2, 2));
  used.zero_grad();
  idle.zero_grad();
  tape.clear();
  tape.backward(tg::sum(tg::square(used.tensor())));
  EXPECT_EQ(idle.grad(), MatrixXd::Zero(2, 2));
  EXPECT_EQ(used.grad(), (2 * used.value()).eval());
}

TEST(AdjointWrites, AScalarParameterAssignsAfterZeroGradAndAddsOtherwise) {
  tg::Tape tape;
  tg::Parameter a(3.0);
  const Var v = a.var();
  const Var f = v * v + 2.0 * a.var();  // two leaves of one Parameter: both contributions
  tape.backward(f);
  EXPECT_EQ(a.grad()(0, 0), 8.0);
  tape.backward(f);
  EXPECT_EQ(a.grad()(0, 0), 16.0);
  a.zero_grad();
  tape.backward(f);
  EXPECT_EQ(a.grad()(0, 0), 8.0);
}

// One tensor reaching an operation through both operands, or through two views of one
// buffer with different broadcasts: each contribution lands once.
TEST(AdjointWrites, AnInputUsedTwiceByOneOperationGetsBothContributions) {
  const MatrixXd square = random_matrix(3, 3, -1, 1, 5), column = random_matrix(3, 1, -1, 1, 6);
  expect_gradient("x * x", [](const std::vector<Tensor>& in) { return weighted(in[0] * in[0]); }, {square});
  expect_gradient("matmul(x, x)",
                  [](const std::vector<Tensor>& in) { return weighted(tg::matmul(in[0], in[0])); }, {square});
  expect_gradient("dot(x, x)", [](const std::vector<Tensor>& in) { return tg::dot(in[0], in[0]); }, {square});
  expect_gradient("concat(x, x)",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::concat({in[0], in[0]}, tg::Axis::Cols));
                  },
                  {square});
  expect_gradient("mse(x, x + 1)", [](const std::vector<Tensor>& in) { return tg::mse(in[0], in[0] + 1.0); },
                  {square});
  expect_gradient("fused(x, x)",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::fused([](auto u, auto v) { return sin(u) * v; }, in[0], in[0]));
                  },
                  {square});
  // A column and the same buffer as a row, broadcast against each other both ways.
  expect_gradient("column * its row",
                  [](const std::vector<Tensor>& in) { return weighted(in[0] * tg::reshape(in[0], 1, 3)); },
                  {column});
  expect_gradient("row * its column",
                  [](const std::vector<Tensor>& in) { return weighted(tg::reshape(in[0], 1, 3) * in[0]); },
                  {column});
  expect_gradient("rows(x, {2, 0, 2})",
                  [](const std::vector<Tensor>& in) {
                    return weighted(tg::rows(in[0], std::vector<int>{2, 0, 2}));
                  },
                  {square});
}

TEST(AdjointWrites, CheckFiniteSkipsWhatNoOneWrote) {
  tg::Tape tape({.check_finite = true});
  tg::Parameter x(random_matrix(2, 3, 0.5, 1, 7));
  const Tensor t = x.tensor();
  (void)tg::log(t);  // recorded, never reaches the output: its adjoint buffer is never written
  tape.backward(tg::sum(tg::sqrt(t)));
  EXPECT_TRUE(x.grad().isApprox((0.5 / x.value().array().sqrt()).matrix(), 1e-15));
}

}  // namespace
