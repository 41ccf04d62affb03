/// \file
/// Data-parallel gradients: the gradient of a loss that is a sum over shards (the parts
/// of a minibatch), computed shard by shard on a pool of threads — and, given a
/// Communicator, on several processes — and added into the Parameters' gradients with
/// the same bits whatever the number of threads and processes.
///
/// Each shard has its own gradient buffers (a WorkerGradients): the thread computing it
/// records on its own tape under the shard's Redirect, so the Parameters are only read
/// while shards run. Then the shard gradients are added in the fixed tree order of
/// shard_tree.hpp: each process sums the tree nodes inside its block of shards, the
/// processes gather every node, and each adds them up the tree itself. The pool, the
/// buffers and the tapes are kept across steps, so a step allocates nothing once the
/// first has sized them.
///
///   tg::ShardedGradient sharded(params, {.threads = 2});
///   for (int step = 0; step < steps; ++step) {
///     optimizer.zero_grad();
///     double loss = sharded.gradient(8, [&](Eigen::Index shard) { return shard_loss(shard); });
///     optimizer.step();
///   }
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "../scalar/tape.hpp"
#include "../tensor/gemm.hpp"
#include "../tensor/gradient_buffer.hpp"
#include "../tensor/parameter.hpp"
#include "communicator.hpp"
#include "shard_tree.hpp"
#include "thread_pool.hpp"

namespace tapegrad {

/// The options of BasicShardedGradient.
struct ShardedGradientOptions {
  int threads = 1;                       ///< worker threads in this process, the caller among them
  Communicator* communicator = nullptr;  ///< the processes that share the shards; none: this one alone
};

/// The gradient of a minibatch's loss computed shard by shard on worker threads (and processes, through a
/// Communicator), with the shard gradients added by one fixed binary tree, so that the result is the same
/// bits for every number of threads and processes. The shards' count is the caller's (ShardRule says how the
/// Trainer chooses it); each worker records its shards on its own tape, and the sum is added into the
/// Parameters' gradients as backward() would. See sharded_gradient.hpp for the design, and docs/scaling.md
/// for the costs.
///
/// \snippet test_doc_examples.cpp sharded_gradient
template <class T>
class BasicShardedGradient {
 public:
  /// Two numbers a shard reports, summed over all shards in shard order: its loss (its
  /// share of the batch's), and one more the caller defines (the Trainer's: how many of
  /// its rows were classified right).
  using ShardValues = std::array<double, 2>;

  /// Computes gradients of `parameters` (not owned) with `options`; starts the worker threads. Throws
  /// tapegrad::Error for threads < 1.
  BasicShardedGradient(std::vector<BasicParameter<T>*> parameters, ShardedGradientOptions options = {})
      : parameters_(std::move(parameters)), options_(options), pool_(options.threads) {
    if (options_.communicator != nullptr && options_.communicator->size() < 1)
      throw Error("ShardedGradient: the communicator has no processes");
    for (int w = 0; w < pool_.size(); ++w) {
      tapes_.push_back(std::make_unique<BasicTape<T>>());
      tapes_.back()->release();  // made active by the worker that records on it
    }
    Eigen::Index offset = 0;
    for (BasicParameter<T>* p : parameters_) {
      offsets_.push_back(offset);
      offset += p->size();
    }
    gradient_size_ = offset;
  }

  /// Worker threads in this process, the caller among them.
  int threads() const noexcept { return pool_.size(); }
  /// Processes sharing the shards (1 without a communicator).
  int processes() const noexcept { return options_.communicator ? options_.communicator->size() : 1; }
  /// This process's rank (0 without a communicator).
  int process() const noexcept { return options_.communicator ? options_.communicator->rank() : 0; }
  /// The shards of `shards` this process computes: a contiguous block, by process rank.
  ShardRange own_shards(Eigen::Index shards) const { return even_part(shards, processes(), process()); }

  /// Adds the gradient of Σ_shard f(shard) into the Parameters' gradients and returns
  /// that sum's value (added in shard order). f(shard) records the shard's part of the
  /// loss on the active tape — a tape of the worker's own — and returns it as a Var; it
  /// is called on the pool's threads at once, so it may only read shared state. Each
  /// shard's gradient is its own sweep; the shards' are added in the fixed tree order.
  template <class F>
  double gradient(Eigen::Index shards, F&& f) {
    auto task = [&](Eigen::Index shard, int worker) -> ShardValues {
      const WorkerTape tape(*this, worker);
      const BasicVar<T> loss = f(shard);
      tape.backward(loss);
      return {static_cast<double>(loss.value()), 0.0};
    };
    return compute(shards, task)[0];
  }

  /// A tape kept for worker w: active on the calling thread, and cleared, while the
  /// WorkerTape lives. Made inside a task, on the worker's thread.
  class WorkerTape {
   public:
    /// Worker `worker`'s kept tape, cleared and made active on this thread.
    WorkerTape(BasicShardedGradient& sharded, int worker)
        : tape_(*sharded.tapes_.at(static_cast<std::size_t>(worker))) {
      tape_.activate();
      tape_.clear();
    }
    ~WorkerTape() { tape_.release(); }
    WorkerTape(const WorkerTape&) = delete;
    WorkerTape& operator=(const WorkerTape&) = delete;
    /// Sweeps `loss` (a shard's) on the worker's tape; its gradients go to the worker's buffers.
    void backward(const BasicVar<T>& loss) const { tape_.backward(loss); }
    /// The worker's tape.
    BasicTape<T>& tape() const { return tape_; }

   private:
    BasicTape<T>& tape_;
  };

  /// The general form, for callers that keep their own tapes (the Trainer replays one
  /// recording per shard): task(shard, worker) runs on a pool thread with the shard's
  /// gradient buffers taking every Parameter leaf recorded there; it must record and
  /// sweep the shard's loss itself, and returns the shard's ShardValues. Then the sum of
  /// every shard's gradient (all processes') is added into the Parameters' gradients,
  /// and the ShardValues' sums are returned.
  template <class Task>
  ShardValues compute(Eigen::Index shards, Task& task) {
    if (shards < 1) throw Error("ShardedGradient: " + std::to_string(shards) + " shards (must be ≥ 1)");
    const ShardRange mine = own_shards(shards);
    if (static_cast<Eigen::Index>(gradients_.size()) < shards)
      gradients_.resize(static_cast<std::size_t>(shards));
    if (static_cast<Eigen::Index>(values_.size()) < shards) values_.resize(static_cast<std::size_t>(shards));
    for (Eigen::Index s = mine.begin; s < mine.end; ++s)
      if (!gradients_[static_cast<std::size_t>(s)])
        gradients_[static_cast<std::size_t>(s)] = std::make_unique<BasicWorkerGradients<T>>(parameters_);

    detail::prepare_one_thread_products();
    auto run_shards = [&](int worker) {
      const ShardRange part = even_part(mine.size(), pool_.size(), worker);
      for (Eigen::Index s = mine.begin + part.begin; s < mine.begin + part.end; ++s) {
        BasicWorkerGradients<T>& gradients = *gradients_[static_cast<std::size_t>(s)];
        gradients.zero();
        const typename BasicWorkerGradients<T>::Redirect redirect(gradients);
        const detail::OneThreadProducts one_thread;
        values_[static_cast<std::size_t>(s)] = task(s, worker);
      }
    };
    pool_.run(run_shards);
    reduce(shards, mine);

    ShardValues sum{0.0, 0.0};
    for (Eigen::Index s = 0; s < shards; ++s)
      for (std::size_t v = 0; v < sum.size(); ++v) sum[v] += values_[static_cast<std::size_t>(s)][v];
    return sum;
  }

 private:
  static constexpr Eigen::Index values_units = static_cast<Eigen::Index>(sizeof(ShardValues) / sizeof(T));
  static_assert(sizeof(ShardValues) % sizeof(T) == 0);

  // Adds the tree sum of all shards' gradients into the Parameters'.
  void reduce(Eigen::Index shards, ShardRange mine) {
    const int height = detail::tree_height(shards);
    // This process's shards as tree leaves, each in its own buffer (settled here, on one
    // thread: settling an unwritten buffer zeroes it).
    leaves_.clear();
    leaf_data_.assign(parameters_.size() * static_cast<std::size_t>(mine.size()), nullptr);
    for (Eigen::Index s = mine.begin; s < mine.end; ++s) {
      leaves_.push_back({s, s + 1, 0});
      for (std::size_t k = 0; k < parameters_.size(); ++k)
        leaf_data_[k * static_cast<std::size_t>(mine.size()) + static_cast<std::size_t>(s - mine.begin)] =
            gradients_[static_cast<std::size_t>(s)]->mutable_gradient(k).data();
    }
    targets_.clear();
    for (BasicParameter<T>* p : parameters_) targets_.push_back(p->grad().data());

    if (processes() == 1) {
      auto sum = [&](int worker) {
        for (std::size_t k = 0; k < parameters_.size(); ++k) {
          const ShardRange slice = even_part(parameters_[k]->size(), pool_.size(), worker);
          const std::span<T* const> buffers(leaf_data_.data() + k * static_cast<std::size_t>(shards),
                                            static_cast<std::size_t>(shards));
          detail::sum_tree_node<T>(leaves_, buffers, shards, 0, height, slice.begin, slice.size());
          add(buffers[0], targets_[k], slice);
        }
      };
      pool_.run(sum);
      return;
    }
    gather_and_sum(shards, mine, height);
  }

  // Several processes: each sums the tree nodes inside its block, every node is
  // gathered by every process, and each adds them up to the root.
  void gather_and_sum(Eigen::Index shards, ShardRange mine, int height) {
    Communicator& communicator = *options_.communicator;
    own_nodes_.clear();
    detail::tree_nodes_in(shards, mine.begin, mine.end, own_nodes_);
    // What a process sends: its shards' values, then its nodes, each all Parameters'
    // gradients one after another.
    const auto units_of = [&](ShardRange block, std::size_t nodes) {
      return static_cast<std::size_t>(block.size() * values_units) +
             nodes * static_cast<std::size_t>(gradient_size_);
    };
    send_.resize(units_of(mine, own_nodes_.size()));
    std::memcpy(send_.data(), values_.data() + mine.begin,
                static_cast<std::size_t>(mine.size()) * sizeof(ShardValues));
    T* const node_start = send_.data() + mine.size() * values_units;
    auto sum_own_nodes = [&](int worker) {
      for (std::size_t k = 0; k < parameters_.size(); ++k) {
        const ShardRange slice = even_part(parameters_[k]->size(), pool_.size(), worker);
        const std::span<T* const> buffers(leaf_data_.data() + k * static_cast<std::size_t>(mine.size()),
                                          static_cast<std::size_t>(mine.size()));
        for (std::size_t j = 0; j < own_nodes_.size(); ++j) {
          const detail::TreeNode& node = own_nodes_[j];
          detail::sum_tree_node<T>(leaves_, buffers, shards, node.begin, node.level, slice.begin,
                                   slice.size());
          const T* from = buffers[static_cast<std::size_t>(node.begin - mine.begin)] + slice.begin;
          std::copy(from, from + slice.size(),
                    node_start + j * static_cast<std::size_t>(gradient_size_) + offsets_[k] + slice.begin);
        }
      }
    };
    pool_.run(sum_own_nodes);

    // Every process's block, nodes and byte count follow from the shard count alone.
    all_nodes_.clear();
    counts_.clear();
    block_starts_.clear();
    first_nodes_.clear();
    std::size_t received_units = 0;
    for (int r = 0; r < communicator.size(); ++r) {
      const ShardRange block = even_part(shards, communicator.size(), r);
      first_nodes_.push_back(all_nodes_.size());
      detail::tree_nodes_in(shards, block.begin, block.end, all_nodes_);
      const std::size_t units = units_of(block, all_nodes_.size() - first_nodes_.back());
      counts_.push_back(units * sizeof(T));
      block_starts_.push_back(received_units);
      received_units += units;
    }
    first_nodes_.push_back(all_nodes_.size());
    received_.resize(received_units);
    communicator.all_gather(std::as_bytes(std::span<const T>(send_)),
                            std::as_writable_bytes(std::span<T>(received_)), counts_);

    node_data_.assign(parameters_.size() * all_nodes_.size(), nullptr);
    for (int r = 0; r < communicator.size(); ++r) {
      const std::size_t rank = static_cast<std::size_t>(r);
      const ShardRange block = even_part(shards, communicator.size(), r);
      T* const start = received_.data() + block_starts_[rank];
      std::memcpy(values_.data() + block.begin, start,
                  static_cast<std::size_t>(block.size()) * sizeof(ShardValues));
      T* const nodes = start + block.size() * values_units;
      for (std::size_t node = first_nodes_[rank]; node < first_nodes_[rank + 1]; ++node)
        for (std::size_t k = 0; k < parameters_.size(); ++k)
          node_data_[k * all_nodes_.size() + node] =
              nodes + static_cast<Eigen::Index>(node - first_nodes_[rank]) * gradient_size_ + offsets_[k];
    }
    auto sum_all = [&](int worker) {
      for (std::size_t k = 0; k < parameters_.size(); ++k) {
        const ShardRange slice = even_part(parameters_[k]->size(), pool_.size(), worker);
        const std::span<T* const> buffers(node_data_.data() + k * all_nodes_.size(), all_nodes_.size());
        detail::sum_tree_node<T>(all_nodes_, buffers, shards, 0, height, slice.begin, slice.size());
        add(buffers[0], targets_[k], slice);
      }
    };
    pool_.run(sum_all);
  }

  static void add(const T* from, T* to, ShardRange slice) {
    for (Eigen::Index i = slice.begin; i < slice.end; ++i) to[i] += from[i];
  }

  std::vector<BasicParameter<T>*> parameters_;
  ShardedGradientOptions options_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<BasicTape<T>>> tapes_;  // one per worker, for gradient()
  std::vector<Eigen::Index> offsets_;                 // of each Parameter in a packed gradient
  Eigen::Index gradient_size_ = 0;                    // all Parameters' entries
  // One WorkerGradients per shard (of this process), never moved: recordings made under
  // a shard's Redirect keep pointers into its buffers.
  std::vector<std::unique_ptr<BasicWorkerGradients<T>>> gradients_;
  std::vector<ShardValues> values_;
  // Scratch of the reduction, kept so that steps do not allocate.
  std::vector<detail::TreeNode> leaves_, own_nodes_, all_nodes_;
  std::vector<T*> leaf_data_, node_data_, targets_;
  std::vector<T> send_, received_;
  std::vector<std::size_t> counts_, block_starts_, first_nodes_;
};

/// Sharded gradients of double Parameters.
using ShardedGradient = BasicShardedGradient<double>;
/// Sharded gradients of float Parameters.
using FloatShardedGradient = BasicShardedGradient<float>;

/// One data-parallel gradient, for a single use: starts `options.threads` threads, adds
/// the gradient of Σ_shard f(shard) into the Parameters' gradients and returns the sum's
/// value. A loop should keep one ShardedGradient instead, whose threads and buffers last.
template <class T, class F>
double parallel_gradient(F&& f, Eigen::Index shards, std::vector<BasicParameter<T>*> parameters,
                         ShardedGradientOptions options = {}) {
  BasicShardedGradient<T> sharded(std::move(parameters), options);
  return sharded.gradient(shards, std::forward<F>(f));
}

}  // namespace tapegrad
