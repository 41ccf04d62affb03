/// \file
/// Checkpoints: everything a training run needs to continue exactly where it stopped,
/// in one file written atomically — the model (weights, standardization, names), the
/// optimizer's state_dict (buffers, step counts, learning rates), each scheduler's
/// state, and the Trainer's own: epochs done, the minibatch order and the random
/// generator's state, the best loss so far and the history. A run resumed from it is
/// bit-identical to one that never stopped. A damaged file (checksum), another model's
/// file (architecture, loss, scalar type) or another run's (rows, batch size, seed,
/// optimizer state) is refused with an error naming the file and what differs.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../optim/optimizer.hpp"
#include "history.hpp"
#include "model.hpp"

namespace tapegrad::models {

/// The checkpoint format's version, written in every checkpoint and checked when one is read: a checkpoint
/// of a version this build does not read is refused with an error naming both versions.
inline constexpr int checkpoint_file_version = 1;

/// The Trainer's part of a checkpoint.
struct TrainerState {
  /// What identifies the run: a checkpoint is refused by a run that differs in these.
  ///@{
  Eigen::Index rows = 0;
  Eigen::Index batch_size = 0;
  std::uint64_t seed = 0;
  ///@}
  /// Where it is.
  ///@{
  int epochs_done = 0;
  std::vector<Eigen::Index> order;  ///< the row order after the last epoch's shuffle
  std::string random_state;         ///< the generator, as Random::state() writes it
  double best = 0;                  ///< the best monitored loss (infinity before any)
  int epochs_without_improvement = 0;
  History history;  ///< its stop_reason: EarlyStopping when the run ended so (it stays ended)
  std::vector<Eigen::MatrixXd> best_weights;  ///< early stopping's best epoch, to restore at the end
  ///@}
};

/// Throws tapegrad::Error when the file cannot be written, or the model cannot be
/// saved (a user Module, a non-finite weight).
template <class T>
void save_checkpoint(const std::filesystem::path& path, const BasicModel<T>& model,
                     const optim::Optimizer& optimizer, const std::vector<optim::StateDict>& schedulers,
                     const TrainerState& trainer);

/// Restores the weights and standardization into `model` (whose architecture must be
/// the checkpoint's), the state into `optimizer`, replaces `schedulers` (given with
/// one entry per scheduler of this run, which must be the checkpoint's count) by the
/// saved states, and returns the Trainer's. `run` names the run that continues: its rows, batch_size and seed
/// must be the checkpoint's. Throws tapegrad::Error "tapegrad: checkpoint file <path>: <why>", the reason
/// naming the field or what differs; nothing is changed then.
template <class T>
TrainerState load_checkpoint(const std::filesystem::path& path, BasicModel<T>& model,
                             optim::Optimizer& optimizer, std::vector<optim::StateDict>& schedulers,
                             const TrainerState& run);

/// What a checkpoint holds of its run, read without a model to load it into: for a
/// program that checks a resumed run's settings (the optimizer and its hyperparameters,
/// how far the run got) before it builds anything.
struct CheckpointRun {
  optim::StateDict optimizer;  ///< the optimizer's state, its hyperparameters and name included
  TrainerState trainer;        ///< the Trainer's part
};

/// Reads `path` as load_checkpoint() does, without loading it anywhere. Throws
/// tapegrad::Error "tapegrad: checkpoint file <path>: <why>" for a file that cannot be read.
CheckpointRun read_checkpoint_run(const std::filesystem::path& path);

}  // namespace tapegrad::models
