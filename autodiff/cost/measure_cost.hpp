/// \file
/// What a gradient of your own function costs, measured the way `tapegrad cost` measures
/// an expression typed as text:
///
///   auto f = [](auto x) { using std::sin; return x[0] * sin(x[1]); };
///   tg::CostReport r = tg::measure_cost(f, x, {.plain = f});
///   // r.gradient_seconds / r.value_seconds: what one gradient costs in function calls
///
/// f takes its inputs as a std::span of Vars (or a const std::vector of them) and returns a
/// Var or expression, as RecordedFunction's f does. Timed, each as the median seconds per
/// call over `samples` batches (median_time.hpp):
///   - the gradient recorded afresh: the tape cleared, f recorded at x, one reverse sweep;
///   - the gradient replayed: f recorded once (RecordedFunction), then a replay and a
///     sweep per call — skipped, with the reason in replay_skipped, when f's recording
///     cannot be replayed (a custom_op) or its value does not depend on x;
///   - with options.plain (f on doubles: a function written as a template can be passed
///     again), the value alone, and the ratios to it.
/// The tape's size is that of one recording of f at x.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../replay/recorded_function.hpp"
#include "../scalar/tape.hpp"
#include "../scalar/var.hpp"
#include "../support/error.hpp"
#include "median_time.hpp"

namespace tapegrad {

/// The options of measure_cost().
struct CostOptions {
  /// f on doubles, for the time of the value alone; empty: not timed.
  std::function<double(std::span<const double>)> plain = {};
  int samples = 15;             ///< timed batches per median, 1 … 1000
  double batch_seconds = 0.02;  ///< each batch's length
  bool replay = true;           ///< also time the gradient recorded once and replayed
};

/// What measure_cost() returns: the time of a gradient against the time of the value, as medians of timed
/// batches.
struct CostReport {
  double value = 0;                      ///< f(x)
  double gradient_seconds = 0;           ///< per gradient recorded afresh (record and sweep)
  std::optional<double> replay_seconds;  ///< per gradient replayed (replay and sweep)
  std::optional<double> value_seconds;   ///< per call of options.plain
  std::optional<double> ratio;           ///< gradient_seconds / value_seconds
  std::optional<double> replay_ratio;    ///< replay_seconds / value_seconds
  std::size_t tape_nodes = 0;            ///< statements of one recording of f at x
  std::size_t tape_bytes = 0;            ///< and the bytes they occupy
  std::string replay_skipped;            ///< why replay_seconds is empty, if it is
};

namespace detail {

// f's gradient at x recorded afresh on a tape of its own, as the cost reports time it:
// the tape cleared, f recorded, one reverse sweep. Made where it runs (its tape is that
// thread's active one).
template <class F>
class FreshGradient {
 public:
  FreshGradient(F& f, std::span<const double> x) : f_(f), x_(x), xs_(x.size()) {}
  // Records and sweeps once; returns the Var f returned (not on the tape if constant).
  Var operator()() {
    tape_.clear();
    for (std::size_t i = 0; i < x_.size(); ++i) xs_[i] = Var(x_[i]);
    const Var y = [&] {
      if constexpr (std::is_invocable_v<F&, std::span<const Var>>)
        return Var(f_(std::span<const Var>(xs_)));
      else
        return Var(f_(xs_));
    }();
    if (y.is_recorded()) tape_.backward(y);
    return y;
  }
  const Tape& tape() const noexcept { return tape_; }

 private:
  F& f_;
  std::span<const double> x_;
  Tape tape_;
  std::vector<Var> xs_;
};

}  // namespace detail

/// Times f's gradient at x (see above). Throws Error if x is empty, if f(x) is not finite
/// (no cost is reported at a point where f is undefined), if options.plain's value differs
/// from f's, or if options.samples is out of range.
template <class F>
CostReport measure_cost(F f, std::span<const double> x, const CostOptions& options = {}) {
  if (x.empty()) throw Error("measure_cost: x is empty; f needs at least one input");
  CostReport report;
  volatile double sink = 0;
  detail::FreshGradient<F> record_and_sweep(f, x);
  const Var once = record_and_sweep();
  report.value = once.value();
  if (!std::isfinite(report.value))
    throw Error("measure_cost: f(x) is " + std::to_string(report.value) +
                "; a cost is measured only where f is finite");
  report.tape_nodes = record_and_sweep.tape().num_nodes();
  report.tape_bytes = record_and_sweep.tape().bytes_in_use();
  report.gradient_seconds =
      median_seconds([&] { sink = record_and_sweep().value(); }, options.samples, options.batch_seconds);

  if (!options.replay) {
    report.replay_skipped = "not asked for (options.replay is false)";
  } else if (!once.is_recorded()) {
    report.replay_skipped = "f's value does not depend on x";
  } else {
    try {
      RecordedFunction replayed(f, x);
      std::vector<double> g(x.size());
      report.replay_seconds = median_seconds([&] { sink = replayed.gradient(x, std::span<double>(g)); },
                                             options.samples, options.batch_seconds);
    } catch (const NotReplayable& e) {
      report.replay_skipped = e.what();
    }
  }

  if (options.plain) {
    const double plain = options.plain(x);
    if (!(std::abs(plain - report.value) <= 1e-9 * std::max(1.0, std::abs(report.value))))
      throw Error("measure_cost: options.plain(x) is " + std::to_string(plain) + " but f(x) is " +
                  std::to_string(report.value) + "; plain must be f on doubles");
    report.value_seconds =
        median_seconds([&] { sink = options.plain(x); }, options.samples, options.batch_seconds);
    report.ratio = report.gradient_seconds / *report.value_seconds;
    if (report.replay_seconds) report.replay_ratio = *report.replay_seconds / *report.value_seconds;
  }
  (void)sink;
  return report;
}

}  // namespace tapegrad
