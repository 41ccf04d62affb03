// What the Trainer shows while it runs. On a terminal: a live bar for the current
// epoch (batches done, running loss and accuracy, throughput, time left), replaced by
// a summary line when the epoch ends. Elsewhere (a pipe, a log file, CI): the summary
// line only, one per epoch, with no control characters.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "history.hpp"

namespace tapegrad::models {

enum class ProgressStyle {
  Auto,  // Bar when the output is a terminal, Lines otherwise
  Bar,
  Lines,
  Silent
};

class ProgressDisplay {
 public:
  ProgressDisplay(ProgressStyle style, std::FILE* out, int epochs);

  void begin_epoch(int epoch, long batches);
  // After each minibatch; redraws at most ten times a second.
  void batch_done(long batches_done, double running_loss, double running_accuracy, double samples_per_second);
  void end_epoch(const EpochRecord& record);
  void finish(const History& history);

  ProgressStyle style() const { return style_; }
  // The one-line summary of an epoch, as printed.
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
