// Data-parallel training: the digits network trained with 1, 2, 3 and 4 threads, and
// by 1–4 processes (threads standing in for MPI ranks, each with its own copy of the
// model), ends with the same weights bit for bit, and with the test accuracy of the
// run on one tape. (The same under mpirun: tests/cli/test_mpi.sh.)
#include <gtest/gtest.h>

#include <filesystem>
#include <tapegrad/tapegrad.hpp>
#include <thread>

#include "../autodiff/parallel/in_process_communicator.hpp"
#include "quiet_trainer.hpp"

namespace {

namespace tg = tapegrad;
namespace models = tg::models;

struct TrainedRun {
  std::vector<Eigen::MatrixXf> weights;
  std::vector<double> losses;  // per epoch
  double test_accuracy = 0;
};

struct Digits {
  models::Split split = models::train_test_split(models::load_builtin("digits"), 0.2, 0);

  // Six epochs of Adam, batches of 128 rows cut into 8 shards of 16 (the epoch's last
  // batch, 29 rows, into 2).
  TrainedRun train(int threads, tg::Communicator* communicator = nullptr, bool replay = true,
                   const std::filesystem::path& checkpoint = {}) const {
    models::Mlp net({64, 32, 10}, {.seed = 0});
    net.standardize_on(split.train);
    tg::optim::Adam adam(net.parameters(), {.lr = 0.01});
    models::TrainerOptions o = quiet(6, 128);
    o.threads = threads;
    o.sharding = {.min_rows = 12, .max_shards = 8};
    o.communicator = communicator;
    o.replay_steps = replay;
    o.checkpoint = checkpoint;
    const models::History history = models::Trainer(o).fit(net, adam, split.train);
    TrainedRun r;
    for (tg::FloatParameter* p : net.network().weights()) r.weights.push_back(p->value());
    for (const models::EpochRecord& e : history.epochs) r.losses.push_back(e.train_loss);
    r.test_accuracy = net.evaluate(split.test).accuracy;
    return r;
  }
};

void expect_same_bits(const TrainedRun& got, const TrainedRun& expected, const std::string& what) {
  ASSERT_EQ(got.weights.size(), expected.weights.size());
  for (std::size_t k = 0; k < got.weights.size(); ++k)
    EXPECT_TRUE(got.weights[k] == expected.weights[k]) << what << ": weight " << k << " differs";
  EXPECT_EQ(got.losses, expected.losses) << what;
  EXPECT_EQ(got.test_accuracy, expected.test_accuracy) << what;
}

TEST(DataParallel, DigitsTrainToTheSameBitsOnAnyNumberOfThreads) {
  const Digits digits;
  const TrainedRun one = digits.train(1);
  for (int threads : {2, 3, 4})
    expect_same_bits(digits.train(threads), one, std::to_string(threads) + " threads");
  expect_same_bits(digits.train(3, nullptr, /*replay=*/false), one, "3 threads, recording every step");

  // The run on one tape adds the batch's gradient in another order: the same network
  // to rounding, classifying the test digits the same.
  const TrainedRun whole = digits.train(0);
  EXPECT_EQ(whole.test_accuracy, one.test_accuracy);
  EXPECT_GE(one.test_accuracy, 0.9);
  for (std::size_t k = 0; k < one.weights.size(); ++k)
    EXPECT_LT((whole.weights[k] - one.weights[k]).cwiseAbs().maxCoeff(), 1e-3f) << "weight " << k;
  for (std::size_t e = 0; e < one.losses.size(); ++e) EXPECT_NEAR(whole.losses[e], one.losses[e], 1e-5);
}

TEST(DataParallel, DigitsTrainToTheSameBitsOnAnyNumberOfProcesses) {
  const Digits digits;
  const TrainedRun one = digits.train(1);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tapegrad-data-parallel-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (int processes : {1, 2, 3, 4})
    for (int threads : {1, 2}) {
      const std::vector<TrainedRun> runs =
          parallel_test::run_processes(processes, [&](tg::Communicator* communicator) {
            return digits.train(threads, communicator, true,
                                dir / ("rank" + std::to_string(communicator->rank()) + ".ckpt"));
          });
      for (int r = 0; r < processes; ++r) {
        expect_same_bits(runs[static_cast<std::size_t>(r)], one,
                         "rank " + std::to_string(r) + " of " + std::to_string(processes) + ", " +
                             std::to_string(threads) + " threads");
        // Only rank 0 writes files.
        const std::filesystem::path checkpoint = dir / ("rank" + std::to_string(r) + ".ckpt");
        EXPECT_EQ(std::filesystem::exists(checkpoint), r == 0) << checkpoint;
        std::filesystem::remove(checkpoint);
      }
    }
  std::filesystem::remove_all(dir);
}

// L-BFGS evaluates each minibatch's loss several times per step (the closure).
TEST(DataParallel, AnOptimizerThatReevaluatesStepsTheSameOnAnyNumberOfThreads) {
  const models::Dataset iris = models::load_builtin("iris");
  const auto train = [&](int threads) {
    models::BasicMlp<double> net({4, 8, 3}, {.seed = 1});
    net.standardize_on(iris);
    tg::optim::Lbfgs lbfgs(net.parameters(), {.lr = 1, .max_iter = 5});
    models::TrainerOptions o = quiet(2, 150);
    o.threads = threads;
    o.sharding = {.min_rows = 20, .max_shards = 8};
    models::Trainer(o).fit(net, lbfgs, iris);
    return net.network().weights()[0]->value();
  };
  const Eigen::MatrixXd one = train(1);
  EXPECT_EQ(train(2), one);
  EXPECT_EQ(train(4), one);
}

TEST(DataParallel, BadOptionsAreErrors) {
  models::TrainerOptions o = quiet(1, 8);
  o.threads = -1;
  EXPECT_THROW(models::Trainer{o}, tg::Error);
  o.threads = 2;
  o.sharding.min_rows = 0;
  EXPECT_THROW(models::Trainer{o}, tg::Error);
  o.sharding = {.min_rows = 1, .max_shards = 0};
  EXPECT_THROW(models::Trainer{o}, tg::Error);
}

}  // namespace
