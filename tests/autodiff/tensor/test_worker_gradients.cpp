// WorkerGradients: Parameters' leaves recorded under a Redirect write into the worker's
// buffers, not the Parameters' own; shard gradients computed on 1, 2, 3 or 4 threads and
// summed by add_shard_gradients give the same bits, and the full batch's gradient to
// rounding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

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

// mean squared error of a linear model over rows `first`..`first + count` of the data.
Var shard_loss(tg::Parameter& w, tg::Parameter& bias, const MatrixXd& x, const MatrixXd& y,
               Eigen::Index first, Eigen::Index count) {
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(count));
  for (Eigen::Index i = 0; i < count; ++i) rows[static_cast<std::size_t>(i)] = first + i;
  const Tensor prediction = tg::matmul(tg::rows(tg::constant_view(x), rows), w.tensor()) + bias.tensor();
  const Tensor residual = prediction - tg::rows(tg::constant_view(y), rows);
  return tg::sum(tg::square(residual)) / static_cast<double>(x.rows());
}

TEST(WorkerGradients, ShardsOnAnyNumberOfThreadsGiveTheSameBits) {
  const MatrixXd x = random_matrix(103, 5, -1, 1, 2), y = random_matrix(103, 2, -1, 1, 3);
  tg::Parameter w(random_matrix(5, 2, -1, 1, 4)), bias(random_matrix(1, 2, -1, 1, 5));
  constexpr std::size_t shards = 7;  // a fixed cut of the batch, whatever the threads
  const Eigen::Index per_shard = (x.rows() + shards - 1) / shards;

  auto gradients_on = [&](std::size_t threads) {
    std::vector<tg::WorkerGradients> buffers;
    for (std::size_t s = 0; s < shards; ++s) buffers.emplace_back(std::vector<tg::Parameter*>{&w, &bias});
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        tg::Tape tape;
        for (std::size_t s = t; s < shards; s += threads) {
          const tg::WorkerGradients::Redirect redirect(buffers[s]);
          tape.clear();
          const Eigen::Index first = static_cast<Eigen::Index>(s) * per_shard;
          tape.backward(shard_loss(w, bias, x, y, first, std::min(per_shard, x.rows() - first)));
        }
      });
    for (std::thread& thread : pool) thread.join();
    std::vector<tg::WorkerGradients*> pointers;
    for (tg::WorkerGradients& b : buffers) pointers.push_back(&b);
    w.zero_grad();
    bias.zero_grad();
    tg::add_shard_gradients(std::span<tg::WorkerGradients* const>(pointers));
    return std::make_pair(MatrixXd(w.grad()), MatrixXd(bias.grad()));
  };

  const auto one = gradients_on(1);
  for (std::size_t threads : {2, 3, 4}) {
    const auto many = gradients_on(threads);
    EXPECT_EQ(many.first, one.first) << threads << " threads";
    EXPECT_EQ(many.second, one.second) << threads << " threads";
  }

  // And it is the whole batch's gradient, to rounding.
  tg::Tape tape;
  w.zero_grad();
  bias.zero_grad();
  tape.backward(shard_loss(w, bias, x, y, 0, x.rows()));
  EXPECT_TRUE(one.first.isApprox(w.grad(), 1e-13));
  EXPECT_TRUE(one.second.isApprox(bias.grad(), 1e-13));
}

TEST(WorkerGradients, ShardsOverOtherParametersAreRejected) {
  tg::Parameter a(1.0), b(2.0);
  tg::WorkerGradients first({&a}), second({&b});
  std::vector<tg::WorkerGradients*> both{&first, &second};
  EXPECT_THROW(tg::add_shard_gradients(std::span<tg::WorkerGradients* const>(both)), tg::Error);
}

}  // namespace
