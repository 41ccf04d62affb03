/// \file
/// The data-parallel step: a minibatch of B rows is cut into shards by a ShardRule (a
/// rule of B alone), each shard's loss — its rows' mean times its
/// share of the batch, n_s / B — is recorded and swept on one of the threads (and
/// processes) of a ShardedGradient, and the shard gradients are added in the fixed tree
/// order. The weights after each step are therefore the same bits for any number of
/// threads and processes; they differ from WholeBatch's (one tape) by rounding only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "../autodiff/parallel/sharded_gradient.hpp"
#include "minibatch_step.hpp"

namespace tapegrad::models::detail {

template <class T>
class ShardedStepper final : public MinibatchStepper<T> {
 public:
  ShardedStepper(BasicModel<T>& model, optim::Optimizer& optimizer, bool replay, ShardRule rule,
                 ShardedGradientOptions options)
      : MinibatchStepper<T>(model, optimizer),
        replay_(replay),
        rule_(rule),
        sharded_(model.network().weights(), options) {
    rule_.validate();
  }

 private:
  // The rows are gathered shard by shard, by the workers, on the step's first evaluation.
  void take(const PreparedData<T>& data, std::span<const Eigen::Index> rows_of, bool last) override {
    data_ = &data;
    rows_of_ = rows_of;
    slots_ = last ? &last_ : &full_;
    const Eigen::Index shards = rule_.shards(static_cast<Eigen::Index>(rows_of.size()));
    if (static_cast<Eigen::Index>(slots_->size()) < shards) slots_->resize(static_cast<std::size_t>(shards));
  }

  std::pair<double, Eigen::Index> sweep(bool first_evaluation) override {
    const Eigen::Index batch_rows = static_cast<Eigen::Index>(rows_of_.size());
    const Eigen::Index shards = rule_.shards(batch_rows);
    auto task = [&](Eigen::Index s, int worker) -> typename BasicShardedGradient<T>::ShardValues {
      const ShardRange rows = even_part(batch_rows, shards, s);
      std::unique_ptr<BatchSlot<T>>& slot = (*slots_)[static_cast<std::size_t>(s)];
      if (!slot) slot = std::make_unique<BatchSlot<T>>(rows.size(), *data_);  // by the shard's first worker
      if (first_evaluation)
        slot->batch.gather(*data_, rows_of_.subspan(static_cast<std::size_t>(rows.begin),
                                                    static_cast<std::size_t>(rows.size())));
      const T share = T(static_cast<double>(rows.size()) / static_cast<double>(batch_rows));
      std::optional<typename BasicShardedGradient<T>::WorkerTape> fresh;
      if (!replay_) fresh.emplace(sharded_, worker);
      const auto [loss, correct] =
          sweep_batch(this->model_, *slot, share, fresh ? &fresh->tape() : nullptr, first_evaluation);
      return {static_cast<double>(loss), static_cast<double>(correct)};
    };
    const auto [loss, correct] = sharded_.compute(shards, task);
    return {loss, static_cast<Eigen::Index>(correct)};
  }

  bool replay_;
  ShardRule rule_;
  BasicShardedGradient<T> sharded_;
  // Per shard, for the epoch's full minibatches and for its last, shorter one.
  std::vector<std::unique_ptr<BatchSlot<T>>> full_, last_;
  std::vector<std::unique_ptr<BatchSlot<T>>>* slots_ = nullptr;
  const PreparedData<T>* data_ = nullptr;
  std::span<const Eigen::Index> rows_of_;
};

}  // namespace tapegrad::models::detail
