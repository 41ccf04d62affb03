// What a training run records, epoch by epoch, and the two forms it is written in: a
// CSV of every figure and an SVG chart of loss and accuracy against epoch (training
// and validation) that any browser opens.
#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace tapegrad::models {

struct EpochRecord {
  static constexpr double none = std::numeric_limits<double>::quiet_NaN();
  int epoch = 0;                  // 1-based
  double train_loss = none;       // mean over the epoch's minibatches
  double train_accuracy = none;   // the same (NaN for regression)
  double validation_loss = none;  // at the epoch's end (NaN without validation data)
  double validation_accuracy = none;
  double learning_rate = none;    // of the first parameter group, during the epoch
  double seconds = 0;             // training time since the start, evaluation excluded
  double samples_per_second = 0;  // this epoch
};

enum class StopReason { EpochsDone, EarlyStopping, Callback, Diverged };
const char* stop_reason_name(StopReason reason);

struct History {
  std::vector<EpochRecord> epochs;
  StopReason stop_reason = StopReason::EpochsDone;
  int best_epoch = 0;  // by the monitored loss (validation if any, else training)
  double train_seconds = 0;

  bool has_validation() const;
  bool is_classification() const;

  // Columns: epoch, train_loss, train_accuracy, validation_loss, validation_accuracy,
  // learning_rate, seconds, samples_per_second (empty for a missing figure).
  std::string to_csv() const;
  // A chart: loss against epoch, and accuracy against epoch for classification.
  std::string to_svg(const std::string& title) const;
  // Both written atomically; throw tapegrad::Error on failure.
  void write_csv(const std::filesystem::path& path) const;
  void write_svg(const std::filesystem::path& path, const std::string& title) const;
};

}  // namespace tapegrad::models
