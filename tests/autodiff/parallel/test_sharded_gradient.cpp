// ShardedGradient: a loss summed over shards, computed on 1–4 threads and on 1–4
// processes (threads standing in for MPI ranks, in_process_communicator.hpp), adds the
// same bits into the Parameters' gradients every time, and that gradient is the one
// of the least-squares formula 2/n · Xᵀ(Xw + b − y).
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <tapegrad/tapegrad.hpp>
#include <thread>

#include "../../support/sanitizer_build.hpp"
#include "in_process_communicator.hpp"

namespace {

namespace tg = tapegrad;
using Eigen::MatrixXd;

MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> value(-1, 1);
  MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = value(random);
  return m;
}

struct LeastSquares {
  MatrixXd x = random_matrix(103, 5, 2), y = random_matrix(103, 2, 3);
  Eigen::Index shards() const {
    return tg::ShardRule{.min_rows = 8, .max_shards = 16}.shards(x.rows());
  }  // 12
  // Shard s's part of the mean squared error: its rows' squared residuals over all n rows.
  tg::Var loss(tg::Parameter& w, tg::Parameter& bias, Eigen::Index shard) const {
    const tg::ShardRange rows = tg::even_part(x.rows(), shards(), shard);
    const tg::Tensor prediction =
        tg::matmul(tg::constant(x.middleRows(rows.begin, rows.size())), w.tensor()) + bias.tensor();
    const tg::Tensor residual = prediction - tg::constant(y.middleRows(rows.begin, rows.size()));
    return tg::sum(tg::square(residual)) / static_cast<double>(x.rows());
  }
};

// One process's model and the gradient its ShardedGradient leaves in it.
struct Result {
  MatrixXd w_grad, bias_grad;
  double loss = 0;
};

Result sharded_gradient(const LeastSquares& problem, int threads, tg::Communicator* communicator = nullptr) {
  tg::Parameter w(random_matrix(5, 2, 4)), bias(random_matrix(1, 2, 5));
  tg::ShardedGradient sharded({&w, &bias}, {.threads = threads, .communicator = communicator});
  Result r;
  for (int step = 0; step < 2; ++step) {  // the second step reuses every buffer and tape
    w.zero_grad();
    bias.zero_grad();
    r.loss = sharded.gradient(problem.shards(), [&](Eigen::Index s) { return problem.loss(w, bias, s); });
  }
  r.w_grad = w.grad();
  r.bias_grad = bias.grad();
  return r;
}

TEST(ShardedGradient, AnyNumberOfThreadsGivesTheSameBitsAndTheFormulasGradient) {
  const LeastSquares problem;
  const Result one = sharded_gradient(problem, 1);
  for (int threads : {2, 3, 4}) {
    const Result many = sharded_gradient(problem, threads);
    EXPECT_EQ(many.w_grad, one.w_grad) << threads << " threads";
    EXPECT_EQ(many.bias_grad, one.bias_grad) << threads << " threads";
    EXPECT_EQ(many.loss, one.loss) << threads << " threads";
  }
  const MatrixXd w = random_matrix(5, 2, 4), bias = random_matrix(1, 2, 5);
  const MatrixXd residual = (problem.x * w).rowwise() + bias.row(0) - problem.y;
  const double n = static_cast<double>(problem.x.rows());
  EXPECT_TRUE(one.w_grad.isApprox(2 / n * problem.x.transpose() * residual, 1e-13));
  EXPECT_TRUE(one.bias_grad.isApprox(2 / n * residual.colwise().sum(), 1e-13));
  EXPECT_NEAR(one.loss, residual.squaredNorm() / n, 1e-13);
}

TEST(ShardedGradient, AnyNumberOfProcessesGivesTheSameBits) {
  const LeastSquares problem;
  const Result alone = sharded_gradient(problem, 1);
  for (int processes : {1, 2, 3, 4})
    for (int threads : {1, 2}) {
      const std::vector<Result> results = parallel_test::run_processes(
          processes,
          [&](tg::Communicator* communicator) { return sharded_gradient(problem, threads, communicator); });
      for (int r = 0; r < processes; ++r) {
        const Result& got = results[static_cast<std::size_t>(r)];
        EXPECT_EQ(got.w_grad, alone.w_grad)
            << "rank " << r << " of " << processes << ", " << threads << " threads";
        EXPECT_EQ(got.bias_grad, alone.bias_grad) << "rank " << r << " of " << processes;
        EXPECT_EQ(got.loss, alone.loss) << "rank " << r << " of " << processes;
      }
    }
}

TEST(ShardedGradient, AddsOntoTheGradientLikeABackwardSweep) {
  const LeastSquares problem;
  tg::Parameter w(random_matrix(5, 2, 4)), bias(random_matrix(1, 2, 5));
  tg::ShardedGradient sharded({&w, &bias}, {.threads = 2});
  const auto f = [&](Eigen::Index s) { return problem.loss(w, bias, s); };
  sharded.gradient(problem.shards(), f);
  const MatrixXd once = w.grad();
  sharded.gradient(problem.shards(), f);  // no zero_grad(): accumulates
  EXPECT_EQ(w.grad(), MatrixXd(2 * once));
}

TEST(ShardedGradient, AParameterNoShardUsesGetsAZeroGradient) {
  tg::Parameter used(2.0), unused(3.0);
  tg::ShardedGradient sharded({&used, &unused}, {.threads = 2});
  const double value =
      sharded.gradient(5, [&](Eigen::Index s) { return used.var() * static_cast<double>(s); });
  EXPECT_EQ(value, 2.0 * (0 + 1 + 2 + 3 + 4));
  EXPECT_EQ(used.grad()(0, 0), 10.0);
  EXPECT_EQ(unused.grad()(0, 0), 0.0);
}

TEST(ShardedGradient, AShardThatThrowsReachesTheCallerAndTheNextStepWorks) {
  tg::Parameter w(1.5);
  tg::ShardedGradient sharded({&w}, {.threads = 3});
  const auto failing = [&](Eigen::Index s) -> tg::Var {
    if (s == 4) throw tg::Error("shard 4 failed");
    return w.var() * w.var();
  };
  EXPECT_THROW(sharded.gradient(6, failing), tg::Error);
  w.zero_grad();
  EXPECT_EQ(sharded.gradient(6, [&](Eigen::Index) { return w.var() * w.var(); }), 6 * 1.5 * 1.5);
  EXPECT_EQ(w.grad()(0, 0), 6 * 2 * 1.5);
}

TEST(ShardedGradient, BadArgumentsAreErrors) {
  tg::Parameter w(1.0);
  EXPECT_THROW(tg::ShardedGradient({&w}, {.threads = 0}), tg::Error);
  tg::ShardedGradient sharded({&w});
  EXPECT_THROW(sharded.gradient(0, [&](Eigen::Index) { return w.var(); }), tg::Error);
}

TEST(ShardedGradient, TheOneShotFormMatches) {
  const LeastSquares problem;
  tg::Parameter w(random_matrix(5, 2, 4)), bias(random_matrix(1, 2, 5));
  const double loss =
      tg::parallel_gradient([&](Eigen::Index s) { return problem.loss(w, bias, s); }, problem.shards(),
                            std::vector<tg::Parameter*>{&w, &bias}, {.threads = 2});
  const Result kept = sharded_gradient(problem, 1);
  EXPECT_EQ(loss, kept.loss);
  EXPECT_EQ(MatrixXd(w.grad()), kept.w_grad);
}

TEST(ThreadPool, RunsTheTaskOnceOnEveryWorkerAndRethrowsTheFirstError) {
  tg::ThreadPool pool(4);
  std::vector<int> ran(4, 0);
  auto count = [&](int w) { ++ran[static_cast<std::size_t>(w)]; };
  pool.run(count);
  pool.run(count);
  EXPECT_EQ(ran, std::vector<int>(4, 2));
  auto fail = [&](int w) {
    if (w >= 2) throw tg::Error("worker " + std::to_string(w));
  };
  try {
    pool.run(fail);
    ADD_FAILURE() << "no exception";
  } catch (const tg::Error& e) {
    EXPECT_EQ(e.message(), "worker 2");  // what() is "tapegrad: worker 2"
  }
  pool.run(count);  // still usable
  EXPECT_EQ(ran, std::vector<int>(4, 3));
  EXPECT_THROW(tg::ThreadPool(0), tg::Error);
}

// A thread count from a typo is refused before any thread starts, naming the limit: 4 ×
// the hardware threads, at least 8.
TEST(ThreadPool, RefusesMoreThreadsThanTheMachineCanUse) {
  const int limit = static_cast<int>(std::max(4U * std::thread::hardware_concurrency(), 8U));
  ASSERT_EQ(tg::ThreadPool::max_threads(), limit);
  EXPECT_EQ(tg::ThreadPool(limit).size(), limit);
  for (int threads : {limit + 1, 100000, 1000000000}) {
    try {
      tg::ThreadPool pool(threads);
      ADD_FAILURE() << threads << " threads started";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find("at most " + std::to_string(limit)), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(tg::ShardedGradient({}, {.threads = limit + 1}), tg::Error);
}

#if !defined(TAPEGRAD_TEST_UNDER_SANITIZER)
// Run in a child process: limits its address space to room for one thread stack (of the
// size a new thread gets: pthread_getattr_default_np) above what it maps now, not for two,
// and asks for a full pool. Exits 0 when the pool refuses with a clear error; an unjoined
// std::thread would abort instead.
[[noreturn]] void start_a_pool_without_room_for_its_stacks() {
  long pages = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  std::size_t stack = 0;
  pthread_attr_t defaults;
  if (::pthread_getattr_default_np(&defaults) != 0 || ::pthread_attr_getstacksize(&defaults, &stack) != 0)
    std::_Exit(2);
  const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) +
                       static_cast<rlim_t>(stack + stack / 2);
  const rlimit address_space{limit, limit};
  if (pages == 0 || ::setrlimit(RLIMIT_AS, &address_space) != 0) std::_Exit(2);
  try {
    tg::ThreadPool pool(tg::ThreadPool::max_threads());
  } catch (const tg::Error& e) {
    std::_Exit(std::string(e.what()).find("could not start thread") != std::string::npos ? 0 : 3);
  }
  std::_Exit(4);
}

// A thread the system refuses to start is a clear error, and the threads already
// started are stopped first.
TEST(ThreadPool, AThreadTheSystemRefusesIsAClearError) {
  EXPECT_EXIT(start_a_pool_without_room_for_its_stacks(), ::testing::ExitedWithCode(0), "");
}
#endif

}  // namespace
