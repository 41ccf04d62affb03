#include "progress.hpp"

#include <unistd.h>

#include <cmath>

namespace tapegrad::models {
namespace {

std::string format(const char* spec, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, v);
  return buffer;
}

// A loss or accuracy as printed: "nan" and "inf" without the sign printf gives a NaN.
std::string figure(const char* spec, double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return format(spec, v);
}

std::string rate(double samples_per_second) {
  if (samples_per_second >= 1e6) return format("%.2fM samples/s", samples_per_second / 1e6);
  if (samples_per_second >= 1e3) return format("%.1fk samples/s", samples_per_second / 1e3);
  return format("%.0f samples/s", samples_per_second);
}

}  // namespace

// An epoch of a small set takes milliseconds: "0.00s" would say nothing.
std::string format_duration(double seconds) {
  if (seconds < 0.1) return format("%.1fms", 1e3 * seconds);
  if (seconds < 10) return format("%.2fs", seconds);
  if (seconds < 60) return format("%.1fs", seconds);
  const long s = std::lround(seconds);
  return std::to_string(s / 60) + "m" + format("%02.0f", static_cast<double>(s % 60)) + "s";
}

ProgressDisplay::ProgressDisplay(ProgressStyle style, std::FILE* out, int epochs)
    : style_(style), out_(out), epochs_(epochs), start_(Clock::now()), last_draw_(start_) {
  if (out_ == nullptr) style_ = ProgressStyle::Silent;
  if (style_ == ProgressStyle::Auto)
    style_ = ::isatty(::fileno(out_)) ? ProgressStyle::Bar : ProgressStyle::Lines;
}

void ProgressDisplay::begin_epoch(int epoch, long batches) {
  epoch_ = epoch;
  batches_ = batches;
}

void ProgressDisplay::batch_done(long batches_done, double running_loss, double running_accuracy,
                                 double samples_per_second) {
  ++total_batches_done_;
  if (style_ != ProgressStyle::Bar) return;
  const Clock::time_point now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && batches_done != batches_) return;
  last_draw_ = now;
  constexpr int bar_width = 24;
  const int filled = static_cast<int>(bar_width * batches_done / std::max(1L, batches_));
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < bar_width) bar += '>';
  bar.resize(bar_width, ' ');
  // Time left: the mean time per batch so far, times the batches of the remaining epochs.
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double remaining_batches =
      static_cast<double>(batches_ - batches_done) + static_cast<double>(batches_) * (epochs_ - epoch_);
  const double left = elapsed / static_cast<double>(total_batches_done_) * remaining_batches;
  std::string line = "epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_) + " [" + bar + "] " +
                     std::to_string(batches_done) + "/" + std::to_string(batches_) + "  loss " +
                     figure("%.4f", running_loss);
  if (!std::isnan(running_accuracy)) line += "  accuracy " + format("%.2f%%", 100 * running_accuracy);
  line += "  " + rate(samples_per_second) + "  left " + format_duration(left);
  std::fprintf(out_, "\r\033[K%s", line.c_str());
  std::fflush(out_);
}

std::string ProgressDisplay::summary(const EpochRecord& r, int epochs) {
  std::string line = "epoch " + std::to_string(r.epoch) + "/" + std::to_string(epochs) + "  loss " +
                     figure("%.4f", r.train_loss);
  if (!std::isnan(r.train_accuracy)) line += "  accuracy " + format("%.2f%%", 100 * r.train_accuracy);
  if (!std::isnan(r.validation_loss)) line += "  val_loss " + figure("%.4f", r.validation_loss);
  if (!std::isnan(r.validation_accuracy))
    line += "  val_accuracy " + format("%.2f%%", 100 * r.validation_accuracy);
  line += "  lr " + format("%.3g", r.learning_rate) + "  " + rate(r.samples_per_second) + "  " +
          format_duration(r.seconds);
  return line;
}

void ProgressDisplay::end_epoch(const EpochRecord& record) {
  if (style_ == ProgressStyle::Silent) return;
  if (style_ == ProgressStyle::Bar) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "%s\n", summary(record, epochs_).c_str());
  std::fflush(out_);
}

void ProgressDisplay::finish(const History& history) {
  if (style_ == ProgressStyle::Silent) return;
  // A best epoch means something only when it was chosen on held-out validation data.
  std::string best;
  if (history.has_validation() && history.best_epoch > 0)
    best = ", best validation epoch " + std::to_string(history.best_epoch);
  // Training time (over every resumed part of the run) leaves out checkpoint writing and
  // evaluation; the wall time of this process's part has them too.
  const double wall = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(out_, "stopped after %zu epoch%s (%s)%s, %s of training (%s of wall time in this process)\n",
               history.epochs.size(), history.epochs.size() == 1 ? "" : "s",
               stop_reason_name(history.stop_reason), best.c_str(),
               format_duration(history.train_seconds).c_str(), format_duration(wall).c_str());
  std::fflush(out_);
}

}  // namespace tapegrad::models
