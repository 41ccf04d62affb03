/// \file
/// What the Trainer shows while it runs. On a terminal: a live bar for the current
/// epoch (batches done, running loss and accuracy, throughput, time left), replaced by
/// a summary line when the epoch ends. Elsewhere (a pipe, a log file, CI): the summary
/// line only, one per epoch, with no control characters.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "history.hpp"

namespace tapegrad::models {

/// How the Trainer shows its progress.
enum class ProgressStyle {
  Auto,   ///< Bar when the output is a terminal, Lines otherwise
  Bar,    ///< a progress bar redrawn in place, and a line per epoch
  Lines,  ///< one line per epoch
  Silent  ///< nothing
};

/// A duration as the progress shows it: "0.4ms" below 0.1 s, "2.31s", "12.5s", "3m05s".
std::string format_duration(double seconds);

/// The Trainer's progress display: a bar redrawn in place on a terminal, one line per epoch elsewhere.
class ProgressDisplay {
 public:
  /// Shows `epochs` epochs' progress in `style` on `out`.
  ProgressDisplay(ProgressStyle style, std::FILE* out, int epochs);

  /// Starts epoch `epoch` of `batches` minibatches.
  void begin_epoch(int epoch, long batches);
  /// After each minibatch; redraws at most ten times a second.
  void batch_done(long batches_done, double running_loss, double running_accuracy, double samples_per_second);
  /// Ends an epoch with its record (prints its summary line).
  void end_epoch(const EpochRecord& record);
  /// Ends the run (prints why it stopped).
  void finish(const History& history);

  /// The style in use (Auto resolved to Bar or Lines).
  ProgressStyle style() const { return style_; }
  /// The one-line summary of an epoch, as printed.
  static std::string summary(const EpochRecord& record, int epochs);

 private:
  using Clock = std::chrono::steady_clock;
  ProgressStyle style_;
  std::FILE* out_;
  int epochs_;
  int epoch_ = 0;
  long batches_ = 0;
  long total_batches_done_ = 0;
  Clock::time_point start_, last_draw_;
};

}  // namespace tapegrad::models
