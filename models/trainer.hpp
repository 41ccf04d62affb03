/// \file
/// The Trainer: epochs of shuffled minibatches (seeded), a validation split or set,
/// loss and accuracy per epoch, early stopping on the monitored loss (validation when
/// there is any, else training) with the best weights restored, learning-rate
/// schedulers, callbacks after each epoch, and checkpoints to resume from. It works
/// with every optimizer: those that re-evaluate the loss themselves (L-BFGS) are given
/// the minibatch as a closure. A step runs on one tape (minibatch_step.hpp) or, data
/// parallel, shard by shard on threads and processes (sharded_step.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <vector>

#include "../autodiff/support/instantiate.hpp"
#include "../autodiff/tensor/shape.hpp"
#include "../optim/lr_scheduler.hpp"
#include "../optim/optimizer.hpp"
#include "checkpoint.hpp"
#include "data/split.hpp"
#include "history.hpp"
#include "minibatch_step.hpp"
#include "model.hpp"
#include "progress.hpp"
#include "random.hpp"
#include "sharded_step.hpp"

namespace tapegrad::models {

/// How Trainer::fit() trains: epochs, minibatches, validation, early stopping, checkpoints and data
/// parallelism. Every field has a default; set the ones you need with designated initializers, `{.epochs =
/// 20, .batch_size = 64}`.
struct TrainerOptions {
  /// Epochs to train (≥ 1); with resume, counted from the run's start.
  int epochs = 100;
  Eigen::Index batch_size = 32;  ///< the last batch of an epoch takes what is left
  std::uint64_t seed = 0;        ///< the order of the minibatches, and the validation split
  /// Shuffle the rows before each epoch (seeded).
  bool shuffle = true;
  /// Taken from the training data (stratified) when no validation set is given.
  double validation_fraction = 0;
  /// Early stopping: stop after `patience` epochs in which the monitored loss did not
  /// fall below the best by more than min_delta; 0 turns it off.
  ///@{
  int patience = 0;
  double min_delta = 0;
  bool restore_best = true;  ///< with early stopping: end with the best epoch's weights
  ///@}
  /// Training stops as diverged (History::stop_reason) when an epoch's training loss is
  /// NaN or infinite, or more than this many times the first epoch's (and above 1): an
  /// exploding run, which no later epoch repairs. 0: only non-finite losses.
  double divergence_factor = 1e4;
  /// Progress goes to stderr, as a command-line program's does, so stdout stays the
  /// program's own; ProgressStyle::Silent prints nothing.
  ///@{
  ProgressStyle progress = ProgressStyle::Auto;
  std::FILE* output = stderr;
  ///@}
  /// When set, the whole state of the run (checkpoint.hpp) is written there, atomically,
  /// after every `checkpoint_every` epochs and after the last.
  ///@{
  std::filesystem::path checkpoint{};
  int checkpoint_every = 1;
  ///@}
  /// When > 0, a checkpoint is also no sooner than this many seconds of training after
  /// the previous one (the last epoch's is always written). A checkpoint is the model,
  /// the optimizer's state and the history, written and synced to disk; after every
  /// epoch, a small network's checkpoints took several times as long as its training.
  /// A resumed run is bit-identical whichever epoch it resumes from.
  double checkpoint_seconds = 0;
  /// Continue from `checkpoint` when that file exists (a fresh start when it does not):
  /// the continued run is bit-identical to one that never stopped. `epochs` counts from
  /// the run's start, so a longer run resumes a shorter one.
  bool resume = false;
  /// Record each minibatch shape's step (forward, loss, backward) once and replay it with
  /// the next minibatch and the Parameters' current values, instead of recording every
  /// step again: bit-identical results, less time per step. Turn it off for a model
  /// whose forward pass changes from step to step other than through comparisons of
  /// Vars (which replay checks): random masks, structure chosen from x.value().
  bool replay_steps = true;
  /// Data parallelism (sharded_step.hpp). 0: each minibatch on one tape, on this thread
  /// (large products still use OpenBLAS's threads). N ≥ 1: each minibatch is cut into
  /// shards by `sharding` (a rule of the batch's size alone), computed on N threads, and
  /// their gradients are added in one fixed order — the trained weights are the same
  /// bits for every N, and for every number of processes sharing the shards through
  /// `communicator`. More workers than shards leave some idle.
  ///@{
  int threads = 0;
  ShardRule sharding{};
  ///@}
  /// The processes (MPI ranks) that share each minibatch's shards; every one runs the
  /// same fit on the same data and seed, and steps identically. Only rank 0 prints
  /// progress and writes checkpoints. An exception on one process leaves the others
  /// waiting in the next gather: catch it and call communicator->abort(). Implies
  /// sharding (threads 0 counts as 1).
  Communicator* communicator = nullptr;
};

namespace detail {

// What one run works with: the model and optimizer, the prepared data, the state a
// checkpoint keeps, the random generator of the row order and the step.
template <class T>
struct TrainingRun {
  BasicModel<T>& model;
  optim::Optimizer& optimizer;
  bool validating;
  TrainerState state;
  PreparedData<T> data, held_out;
  Random random;
  std::unique_ptr<detail::MinibatchStepper<T>> stepper;
  bool lead;  // with several processes, the others compute as rank 0 does but stay silent
  double last_checkpoint_seconds = 0;
};

}  // namespace detail

/// One Trainer fits models of either scalar type (float networks, double regressions).
class Trainer {
 public:
  /// Called after each epoch with its record; returning false stops training.
  using EpochCallback = std::function<bool(const EpochRecord&)>;

  /// A trainer with `options`; throws tapegrad::Error naming the first option out of range.
  explicit Trainer(TrainerOptions options = {}) : o_(options) {
    if (o_.epochs < 1) throw Error("Trainer: epochs = " + std::to_string(o_.epochs) + " (must be ≥ 1)");
    if (o_.batch_size < 1)
      throw Error("Trainer: batch_size = " + std::to_string(o_.batch_size) + " (must be ≥ 1)");
    if (!(o_.validation_fraction >= 0 && o_.validation_fraction < 1))
      throw Error("Trainer: validation_fraction = " + std::to_string(o_.validation_fraction) +
                  " (must be in [0, 1))");
    if (o_.patience < 0) throw Error("Trainer: patience = " + std::to_string(o_.patience) + " (must be ≥ 0)");
    if (!(o_.divergence_factor >= 0))
      throw Error("Trainer: divergence_factor = " + std::to_string(o_.divergence_factor) + " (must be ≥ 0)");
    if (o_.checkpoint_every < 1)
      throw Error("Trainer: checkpoint_every = " + std::to_string(o_.checkpoint_every) + " (must be ≥ 1)");
    if (!(o_.checkpoint_seconds >= 0))
      throw Error("Trainer: checkpoint_seconds = " + std::to_string(o_.checkpoint_seconds) +
                  " (must be ≥ 0)");
    if (o_.threads < 0 || o_.threads > ThreadPool::max_threads())
      throw Error("Trainer: threads = " + std::to_string(o_.threads) + " (must be 0 to " +
                  std::to_string(ThreadPool::max_threads()) +
                  " on this machine: 4 per hardware thread, and never fewer than 8)");
    o_.sharding.validate();
    if (o_.resume && o_.checkpoint.empty())
      throw Error("Trainer: resume needs the checkpoint file to resume from");
  }

  /// An epoch scheduler, stepped after every epoch.
  void schedule(optim::LrScheduler& scheduler) { epoch_schedulers_.push_back(&scheduler); }
  /// A plateau scheduler, stepped with the monitored loss.
  void schedule(optim::ReduceLrOnPlateau& scheduler) { plateau_schedulers_.push_back(&scheduler); }
  /// Calls `callback` after each epoch with its record; returning false stops training.
  void on_epoch_end(EpochCallback callback) { callbacks_.push_back(std::move(callback)); }

  /// The rows a fit on `train` trains on: all of them, less the validation_fraction held out.
  Eigen::Index training_rows(const Dataset& train) const {
    return o_.validation_fraction > 0 ? train_test_split(train, o_.validation_fraction, o_.seed).train.rows()
                                      : train.rows();
  }
  /// The threads a fit on `rows` training rows starts: `threads` (1 for 0), but no more
  /// than the shards of its largest minibatch, since a thread without a shard would only
  /// wait (and waiting workers spin). The weights do not depend on it.
  int threads_with_work(Eigen::Index rows) const {
    const Eigen::Index shards = o_.sharding.shards(std::min(o_.batch_size, rows));
    return static_cast<int>(std::clamp<Eigen::Index>(shards, 1, std::max(o_.threads, 1)));
  }

  /// Trains `model` with `optimizer` on `train` (a validation_fraction of it held out, stratified, when that
  /// option is set) and returns the history. A model without names adopts the data's; its standardization
  /// is what standardize_on() fitted (none if it was not called). Throws tapegrad::Error when the data does
  /// not fit the model, or a checkpoint cannot be read or written.
  ///
  /// \snippet test_doc_examples.cpp trainer
  template <class T>
  History fit(BasicModel<T>& model, optim::Optimizer& optimizer, const Dataset& train) {
    if (o_.validation_fraction > 0) {
      Split split = train_test_split(train, o_.validation_fraction, o_.seed);
      return run(model, optimizer, split.train, &split.test);
    }
    return run(model, optimizer, train, nullptr);
  }
  /// Trains as fit(model, optimizer, train), with `validation` as the validation set.
  template <class T>
  History fit(BasicModel<T>& model, optim::Optimizer& optimizer, const Dataset& train,
              const Dataset& validation) {
    return run(model, optimizer, train, &validation);
  }

 private:
  using Clock = std::chrono::steady_clock;

  template <class T>
  History run(BasicModel<T>& model, optim::Optimizer& optimizer, const Dataset& train,
              const Dataset* validation) {
    detail::TrainingRun<T> run = start(model, optimizer, train, validation);
    ProgressDisplay progress(run.lead ? o_.progress : ProgressStyle::Silent, o_.output, o_.epochs);
    History& history = run.state.history;
    // A run that early stopping ended stays ended when resumed with the same patience,
    // whatever `epochs` says; resumed with a larger patience, or with 0 (no early
    // stopping), it trains on.
    const bool ended = history.stop_reason == TrainingStop::EarlyStopping && o_.patience > 0 &&
                       run.state.epochs_without_improvement >= o_.patience;
    if (!ended && history.stop_reason == TrainingStop::EarlyStopping)
      history.stop_reason = TrainingStop::EpochsDone;
    for (int epoch = run.state.epochs_done + 1; epoch <= o_.epochs && !ended; ++epoch) {
      const EpochRecord record = train_epoch(run, epoch, progress);
      history.epochs.push_back(record);
      progress.end_epoch(record);
      if (diverged(history, run.validating)) {
        history.stop_reason = TrainingStop::Diverged;
        break;
      }
      end_epoch(run, record);
      run.state.epochs_done = epoch;
      const bool stopping = history.stop_reason != TrainingStop::EpochsDone;
      checkpoint_if_due(run, epoch, stopping);
      if (stopping) break;
    }
    if (o_.patience > 0 && o_.restore_best && !run.state.best_weights.empty())
      restore_weights(model, run.state.best_weights);
    progress.finish(history);
    return history;
  }

  // Checks the data, resumes from the checkpoint if asked, and lays out the row order.
  template <class T>
  detail::TrainingRun<T> start(BasicModel<T>& model, optim::Optimizer& optimizer, const Dataset& train,
                               const Dataset* validation) {
    model.accept(train);
    detail::TrainingRun<T> run{model,
                               optimizer,
                               validation != nullptr,
                               {},
                               {},
                               {},
                               Random(o_.seed),
                               nullptr,
                               o_.communicator == nullptr || o_.communicator->rank() == 0};
    TrainerState& state = run.state;
    state.rows = train.rows();
    state.batch_size = o_.batch_size;
    state.seed = o_.seed;
    state.best = INFINITY;
    std::error_code missing;
    if (o_.resume && std::filesystem::exists(o_.checkpoint, missing)) resume(model, optimizer, state);
    run.data = model.prepare(train);
    if (validation != nullptr) run.held_out = model.prepare(*validation);
    if (run.data.rows() == 0) throw Error("Trainer::fit: the training data has no rows");
    if (validation != nullptr && run.held_out.rows() == 0)
      throw Error("Trainer::fit: the validation data has no rows");
    if (state.epochs_done == 0) {
      state.order.resize(static_cast<std::size_t>(run.data.rows()));
      std::iota(state.order.begin(), state.order.end(), Eigen::Index{0});
    } else if (!run.random.set_state(state.random_state)) {
      throw Error("checkpoint " + o_.checkpoint.string() + ": the random generator state is damaged");
    }
    run.stepper = make_stepper(model, optimizer, run.data.rows());
    run.last_checkpoint_seconds = state.history.train_seconds;
    return run;
  }

  // One pass over the shuffled rows in minibatches: the epoch's losses, accuracies and
  // times (and the validation set's, if any).
  template <class T>
  EpochRecord train_epoch(detail::TrainingRun<T>& run, int epoch, ProgressDisplay& progress) {
    if (o_.shuffle) run.random.shuffle(std::span<Eigen::Index>(run.state.order));
    const Eigen::Index rows = run.data.rows(), batch = std::min(o_.batch_size, rows);
    const long batches = static_cast<long>((rows + batch - 1) / batch);
    progress.begin_epoch(epoch, batches);
    EpochRecord record;
    record.epoch = epoch;
    record.learning_rate =
        run.optimizer.group_count() > 0 ? run.optimizer.learning_rate(0) : EpochRecord::none;
    double loss_sum = 0;
    Eigen::Index right = 0, seen = 0;
    const Clock::time_point epoch_start = Clock::now();
    const std::span<const Eigen::Index> order(run.state.order);
    for (long b = 0; b < batches; ++b) {
      const Eigen::Index first = b * batch, part_rows = std::min(batch, rows - first);
      const auto [loss, correct] = run.stepper->step(
          run.data, order.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(part_rows)),
          b + 1 == batches);
      loss_sum += loss * static_cast<double>(part_rows);
      right += correct;
      seen += part_rows;
      const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start).count();
      progress.batch_done(b + 1, loss_sum / static_cast<double>(seen), accuracy(run.model, right, seen),
                          elapsed > 0 ? static_cast<double>(seen) / elapsed : 0.0);
    }
    const double epoch_seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    History& history = run.state.history;
    history.train_seconds += epoch_seconds;
    record.seconds = history.train_seconds;
    record.samples_per_second = epoch_seconds > 0 ? static_cast<double>(rows) / epoch_seconds : 0.0;
    record.train_loss = loss_sum / static_cast<double>(rows);
    record.train_accuracy = accuracy(run.model, right, rows);
    if (run.validating) {
      const Metrics m = run.model.evaluate(run.held_out);
      record.validation_loss = m.loss;
      record.validation_accuracy = m.accuracy;
    }
    return record;
  }

  // The last epoch's loss, training or monitored, is not finite, or it exploded.
  bool diverged(const History& history, bool validating) const {
    const EpochRecord& record = history.epochs.back();
    const double first_loss = history.epochs.front().train_loss;
    const bool exploded = o_.divergence_factor > 0 && record.train_loss > 1 &&
                          record.train_loss > o_.divergence_factor * std::abs(first_loss);
    return !std::isfinite(record.train_loss) || !std::isfinite(monitored_loss(record, validating)) ||
           exploded;
  }
  // The loss early stopping and the plateau schedulers watch: validation's if there is any.
  static double monitored_loss(const EpochRecord& record, bool validating) {
    return validating ? record.validation_loss : record.train_loss;
  }

  // After an epoch that did not diverge: the best epoch so far (and its weights), the
  // schedulers, the callbacks and early stopping, which set the stop reason if the run ends.
  template <class T>
  void end_epoch(detail::TrainingRun<T>& run, const EpochRecord& record) {
    TrainerState& state = run.state;
    History& history = state.history;
    const double loss = monitored_loss(record, run.validating);
    const bool early_stopping = o_.patience > 0;
    if (loss < state.best - o_.min_delta || history.best_epoch == 0) {
      state.best = std::min(state.best, loss);
      history.best_epoch = record.epoch;
      state.epochs_without_improvement = 0;
      if (early_stopping && o_.restore_best) save_weights(run.model, state.best_weights);
    } else {
      ++state.epochs_without_improvement;
    }
    for (optim::LrScheduler* s : epoch_schedulers_) s->step();
    for (optim::ReduceLrOnPlateau* s : plateau_schedulers_) s->step(loss);

    bool keep_going = true;
    for (const EpochCallback& callback : callbacks_) keep_going = callback(record) && keep_going;
    if (!keep_going)
      history.stop_reason = TrainingStop::Callback;
    else if (early_stopping && state.epochs_without_improvement >= o_.patience)
      history.stop_reason = TrainingStop::EarlyStopping;
  }

  // Writes the checkpoint (process 0 only) after every checkpoint_every epochs once
  // checkpoint_seconds have passed, after the last epoch and when the run stops.
  template <class T>
  void checkpoint_if_due(detail::TrainingRun<T>& run, int epoch, bool stopping) {
    const double trained = run.state.history.train_seconds;
    const bool due =
        epoch % o_.checkpoint_every == 0 && trained - run.last_checkpoint_seconds >= o_.checkpoint_seconds;
    if (!run.lead || o_.checkpoint.empty() || !(due || epoch == o_.epochs || stopping)) return;
    run.state.random_state = run.random.state();
    save_checkpoint(o_.checkpoint, run.model, run.optimizer, scheduler_states(), run.state);
    run.last_checkpoint_seconds = trained;
  }

  template <class T>
  std::unique_ptr<detail::MinibatchStepper<T>> make_stepper(BasicModel<T>& model, optim::Optimizer& optimizer,
                                                            Eigen::Index rows) const {
    if (o_.threads == 0 && o_.communicator == nullptr)
      return std::make_unique<detail::WholeBatch<T>>(model, optimizer, o_.replay_steps);
    return std::make_unique<detail::ShardedStepper<T>>(
        model, optimizer, o_.replay_steps, o_.sharding,
        ShardedGradientOptions{.threads = threads_with_work(rows), .communicator = o_.communicator});
  }

  std::vector<optim::StateDict> scheduler_states() const {
    std::vector<optim::StateDict> states;
    for (const optim::LrScheduler* s : epoch_schedulers_) states.push_back(s->state_dict());
    for (const optim::ReduceLrOnPlateau* s : plateau_schedulers_) states.push_back(s->state_dict());
    return states;
  }

  template <class T>
  void resume(BasicModel<T>& model, optim::Optimizer& optimizer, TrainerState& state) {
    std::vector<optim::StateDict> schedulers = scheduler_states();
    TrainerState saved = load_checkpoint(o_.checkpoint, model, optimizer, schedulers, state);
    std::size_t k = 0;
    for (optim::LrScheduler* s : epoch_schedulers_) s->load_state_dict(schedulers[k++]);
    for (optim::ReduceLrOnPlateau* s : plateau_schedulers_) s->load_state_dict(schedulers[k++]);
    state = std::move(saved);
  }

  template <class T>
  static double accuracy(const BasicModel<T>& model, Eigen::Index right, Eigen::Index rows) {
    return model.task() == Task::Classify && rows > 0 ? static_cast<double>(right) / static_cast<double>(rows)
                                                      : EpochRecord::none;
  }

  // Kept in double (exact for float), the form a checkpoint holds them in.
  template <class T>
  static void save_weights(BasicModel<T>& model, std::vector<Eigen::MatrixXd>& out) {
    const auto weights = model.network().weights();
    out.resize(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) out[i] = weights[i]->value().template cast<double>();
  }
  template <class T>
  static void restore_weights(BasicModel<T>& model, const std::vector<Eigen::MatrixXd>& saved) {
    const auto weights = model.network().weights();
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i]->value() = saved[i].template cast<T>();
  }

  TrainerOptions o_;
  std::vector<optim::LrScheduler*> epoch_schedulers_;
  std::vector<optim::ReduceLrOnPlateau*> plateau_schedulers_;
  std::vector<EpochCallback> callbacks_;
};

TAPEGRAD_COMPILED_IN_LIBRARY(History Trainer::fit<float>(BasicModel<float>&, optim::Optimizer&,
                                                         const Dataset&))
TAPEGRAD_COMPILED_IN_LIBRARY(History Trainer::fit<double>(BasicModel<double>&, optim::Optimizer&,
                                                          const Dataset&))
TAPEGRAD_COMPILED_IN_LIBRARY(History Trainer::fit<float>(BasicModel<float>&, optim::Optimizer&,
                                                         const Dataset&, const Dataset&))
TAPEGRAD_COMPILED_IN_LIBRARY(History Trainer::fit<double>(BasicModel<double>&, optim::Optimizer&,
                                                          const Dataset&, const Dataset&))

}  // namespace tapegrad::models
