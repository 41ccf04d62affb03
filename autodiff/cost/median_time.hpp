/// \file
/// Timing a piece of code the way the cost reports do: calls batched to about 20 ms so
/// that the clock's resolution does not matter, and the median of several batches so that
/// one interruption does not either.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "../support/error.hpp"

namespace tapegrad {

/// Median seconds per call of `run()` over `samples` batches of about `batch_seconds`
/// each (the batch size is calibrated first). Throws Error if samples is not 1 … 1000.
template <class Run>
double median_seconds(Run&& run, int samples = 15, double batch_seconds = 0.02) {
  if (samples < 1 || samples > 1000)
    throw Error("median_seconds: samples is " + std::to_string(samples) + ", not 1 … 1000");
  using Clock = std::chrono::steady_clock;
  long calls = 1;
  while (true) {  // calibrate the batch size
    const auto start = Clock::now();
    for (long i = 0; i < calls; ++i) run();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > batch_seconds || calls > (1L << 40)) break;
    calls *= seconds > batch_seconds / 10 ? std::max(2L, static_cast<long>(batch_seconds / seconds)) : 10;
  }
  std::vector<double> per_call;
  for (int s = 0; s < samples; ++s) {
    const auto start = Clock::now();
    for (long i = 0; i < calls; ++i) run();
    per_call.push_back(std::chrono::duration<double>(Clock::now() - start).count() /
                       static_cast<double>(calls));
  }
  std::nth_element(per_call.begin(), per_call.begin() + static_cast<long>(per_call.size() / 2),
                   per_call.end());
  return per_call[per_call.size() / 2];
}

}  // namespace tapegrad
