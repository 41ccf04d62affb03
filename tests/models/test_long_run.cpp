// Long-run hygiene: 10 000 training steps of the digits network (64-32-10, sigmoid,
// batches of 32, Adam), each step exactly what the Trainer's step does: clear the tape,
// forward, loss, zero the gradients, backward, update. After the first step has sized
// the tape's arena and the optimizer's state, the heap must not grow at all: the live
// bytes after every thousandth step equal those after step 1, and no step after the
// first allocates. The same holds for steps recorded once and replayed, after the first
// replay, and for data-parallel steps on two threads. Live bytes come from glibc's mallinfo2, or under the
// sanitizers from their allocator's own count.
#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../../models/data/builtin.hpp"
#include "../../models/mlp.hpp"
#include "../../models/random.hpp"
#include "../../models/sharded_step.hpp"
#include "../support/allocation_counter.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace {

// The digits network, its optimizer and its minibatches, drawn from a shuffled order as
// the Trainer draws them, into buffers allocated once.
struct DigitsTraining {
  static constexpr Eigen::Index batch = 32;
  models::Dataset digits = models::load_builtin("digits");
  models::Mlp net{{64, 32, 10}, {.seed = 0}};
  models::PreparedData<float> data = prepared(net, digits);
  tg::optim::Adam adam{net.parameters(), {.lr = 0.01}};
  std::vector<Eigen::Index> order = std::vector<Eigen::Index>(static_cast<std::size_t>(data.x.rows()));
  models::Random random{0};
  tg::MatrixX<float> x{batch, data.x.cols()};
  std::vector<int> labels = std::vector<int>(batch);
  std::size_t next = order.size();  // position in the shuffled order

  DigitsTraining() { std::iota(order.begin(), order.end(), Eigen::Index{0}); }
  static models::PreparedData<float> prepared(models::Mlp& net, const models::Dataset& digits) {
    net.standardize_on(digits);
    return net.prepare(digits);
  }
  void next_batch() {
    for (Eigen::Index i = 0; i < batch; ++i) {
      if (next == order.size()) {
        random.shuffle(std::span<Eigen::Index>(order));
        next = 0;
      }
      x.row(i) = data.x.row(order[next]);
      labels[static_cast<std::size_t>(i)] = data.labels[static_cast<std::size_t>(order[next++])];
    }
  }
};

TEST(LongRun, TenThousandTrainingStepsOfTheDigitsNetworkDoNotGrowTheHeap) {
  constexpr int steps = 10000;
  DigitsTraining t;
  tg::FloatTape tape;

  std::size_t live_after_first = 0;
  long allocations_after_first = 0;
  std::vector<std::size_t> live_every_thousand;
  live_every_thousand.reserve(steps / 1000);  // before the first step: no growth of its own
  double first_loss = 0, last_epoch_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    t.next_batch();
    tape.clear();
    const tg::FloatTensor out = t.net.forward(tg::constant_view(t.x));
    const tg::FloatVar loss = t.net.loss(out, t.labels, nullptr);
    t.adam.zero_grad();
    tape.backward(loss);
    t.adam.step();

    if (step == 1) {
      live_after_first = tg::testing::live_heap_bytes();
      allocations_after_first = tg::testing::allocation_count();
      first_loss = loss.value();
    }
    if (step > steps - 56) last_epoch_loss += loss.value() / 56;
    if (step % 1000 == 0) live_every_thousand.push_back(tg::testing::live_heap_bytes());
  }
  for (std::size_t k = 0; k < live_every_thousand.size(); ++k)
    EXPECT_EQ(live_every_thousand[k], live_after_first) << "live heap bytes after step " << (k + 1) * 1000;
  const long allocations = tg::testing::allocation_count() - allocations_after_first;
  std::printf(
      "[ long run ] %d steps: %zu live heap bytes after step 1 and after step %d; %ld allocations "
      "(%s) after step 1\n",
      steps, live_after_first, steps, allocations, tg::testing::counts_malloc() ? "malloc and new" : "new");
  // Stronger than no growth: the steps after the first allocate nothing at all.
  EXPECT_EQ(allocations, 0);
  EXPECT_LT(last_epoch_loss, first_loss / 4);  // and it did train
}

// The same steps, recorded once and replayed (what the Trainer does by default): after
// the first replay has sized its scratch, replaying allocates nothing either.
TEST(LongRun, ReplayedTrainingStepsDoNotAllocate) {
  constexpr int steps = 3000;
  DigitsTraining t;
  tg::FloatReplayTape tape;
  tg::FloatTensor out;
  tg::FloatVar loss;

  std::size_t live_after_second = 0;
  long allocations_after_second = 0;
  double first_loss = 0, last_epoch_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    t.next_batch();
    if (step == 1) {
      out = t.net.forward(tg::constant_view(t.x));
      loss = t.net.loss(out, t.labels, nullptr);
    } else {
      tape.replay();
    }
    t.adam.zero_grad();
    tape.backward(loss);
    t.adam.step();
    const double value = tape.replayed_value(loss.index());
    if (step == 1) first_loss = value;
    if (step == 2) {
      live_after_second = tg::testing::live_heap_bytes();
      allocations_after_second = tg::testing::allocation_count();
    }
    if (step > steps - 56) last_epoch_loss += value / 56;
  }
  EXPECT_EQ(tg::testing::live_heap_bytes(), live_after_second);
  EXPECT_EQ(tg::testing::allocation_count() - allocations_after_second, 0);
  EXPECT_LT(last_epoch_loss, first_loss / 4);  // the replays trained it
}

// The Trainer's own steps: on one tape (replayed), and data parallel on two threads
// (each shard's recording, buffers and gradient, the pool's threads and the reduction's
// scratch made by the first steps). After the second step, no step allocates — the
// count of rows classified right included.
void expect_steps_do_not_allocate(DigitsTraining& t, models::detail::MinibatchStepper<float>& stepper) {
  constexpr int steps = 1000;
  long allocations_after_second = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= steps; ++step) {
    const std::size_t first =
        static_cast<std::size_t>((step - 1) * DigitsTraining::batch) % (t.order.size() - 32);
    const double loss =
        stepper
            .step(t.data, std::span<const Eigen::Index>(t.order).subspan(first, DigitsTraining::batch), false)
            .first;
    if (step == 1) first_loss = loss;
    if (step == 2) allocations_after_second = tg::testing::allocation_count();
    last_loss = loss;
  }
  EXPECT_EQ(tg::testing::allocation_count() - allocations_after_second, 0);
  EXPECT_LT(last_loss, first_loss / 4);  // the steps trained it
}

TEST(LongRun, TrainerStepsDoNotAllocate) {
  DigitsTraining t;
  models::detail::WholeBatch<float> stepper(t.net, t.adam, /*replay=*/true);
  expect_steps_do_not_allocate(t, stepper);
}

TEST(LongRun, DataParallelStepsDoNotAllocate) {
  DigitsTraining t;
  models::detail::ShardedStepper<float> stepper(t.net, t.adam, /*replay=*/true,
                                                {.min_rows = 8, .max_shards = 4}, {.threads = 2});
  expect_steps_do_not_allocate(t, stepper);
}

}  // namespace
