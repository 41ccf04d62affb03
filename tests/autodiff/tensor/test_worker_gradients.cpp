// WorkerGradients: Parameters' leaves recorded under a Redirect write into the worker's
// buffers, not the Parameters' own. (Shards summed across threads and processes:
// tests/autodiff/parallel/.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensor_checks.hpp"

using namespace tensor_test;

namespace {

TEST(WorkerGradients, RedirectedLeavesLeaveTheParameterAlone) {
  tg::Tape tape;
  tg::Parameter w(random_matrix(3, 2, -1, 1, 1)), b(0.5);
  tg::WorkerGradients worker({&w, &b});
  {
    const tg::WorkerGradients::Redirect redirect(worker);
    tape.backward(Var(tg::sum(tg::square(w.tensor())) * b.var()));
  }
  EXPECT_TRUE(worker.gradient(0).isApprox(2 * 0.5 * w.value(), 1e-15));
  EXPECT_NEAR(worker.gradient(1)(0, 0), w.value().squaredNorm(), 1e-14);
  EXPECT_EQ(w.grad(), MatrixXd::Zero(3, 2));
  EXPECT_EQ(b.grad()(0, 0), 0.0);
  // Outside the redirect the Parameter's own gradient is written again.
  tape.clear();
  tape.backward(tg::sum(w.tensor()));
  EXPECT_EQ(w.grad(), MatrixXd::Ones(3, 2));
}

TEST(WorkerGradients, RedirectsDoNotNest) {
  tg::Parameter w(1.0);
  tg::WorkerGradients a({&w}), b({&w});
  const tg::WorkerGradients::Redirect first(a);
  EXPECT_THROW(tg::WorkerGradients::Redirect second(b), tg::Error);
}

}  // namespace
