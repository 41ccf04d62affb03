/// \file
/// What a training run records, epoch by epoch, and the two forms it is written in: a
/// CSV of every figure and an SVG chart of loss and accuracy against epoch (training
/// and validation) that any browser opens.
#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace tapegrad::models {

/// One epoch of a training run, as the Trainer's progress prints it and History records it. A figure that
/// does not apply is NaN (`none`).
struct EpochRecord {
  /// The value of a figure that does not apply (NaN).
  static constexpr double none = std::numeric_limits<double>::quiet_NaN();
  int epoch = 0;                  ///< 1-based
  double train_loss = none;       ///< mean over the epoch's minibatches
  double train_accuracy = none;   ///< the same (NaN for regression)
  double validation_loss = none;  ///< at the epoch's end (NaN without validation data)
  /// At the epoch's end (NaN without validation data or for regression).
  double validation_accuracy = none;
  double learning_rate = none;    ///< of the first parameter group, during the epoch
  double seconds = 0;             ///< training time since the start, evaluation excluded
  double samples_per_second = 0;  ///< this epoch
};

/// Why a training run stopped: all its epochs done, early stopping, a callback returning
/// false, or a diverged loss (NaN, infinite, or grown past
/// TrainerOptions::divergence_factor). (Why a minimize() run stopped is optim::StopReason.)
enum class TrainingStop {
  EpochsDone,     ///< every epoch was trained
  EarlyStopping,  ///< the monitored loss stopped improving (TrainerOptions::patience)
  Callback,       ///< an epoch callback returned false
  Diverged        ///< the training loss became NaN or infinite, or exploded
};
/// The words for `reason` ("all epochs done", "early stopping", …).
const char* stop_reason_name(TrainingStop reason);

/// What Trainer::fit() returns: every epoch's record and why the run stopped.
struct History {
  /// One record per epoch trained.
  std::vector<EpochRecord> epochs;
  /// Why training stopped.
  TrainingStop stop_reason = TrainingStop::EpochsDone;
  int best_epoch = 0;  ///< by the monitored loss (validation if any, else training)
  /// Training time in seconds, evaluation excluded.
  double train_seconds = 0;

  /// True when the run had validation data.
  bool has_validation() const;
  /// True for a classification run (accuracy figures exist).
  bool is_classification() const;

  /// Columns: epoch, train_loss, train_accuracy, validation_loss, validation_accuracy,
  /// learning_rate, seconds, samples_per_second (empty for a missing figure).
  std::string to_csv() const;
  /// A chart: loss against epoch, and accuracy against epoch for classification.
  std::string to_svg(const std::string& title) const;
  /// Both written atomically; throw tapegrad::Error on failure.
  void write_csv(const std::filesystem::path& path) const;
  /// Writes to_svg(title) to `path`, atomically; throws tapegrad::Error on failure.
  void write_svg(const std::filesystem::path& path, const std::string& title) const;
};

}  // namespace tapegrad::models
