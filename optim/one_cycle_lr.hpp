/// \file
/// The 1cycle policy with PyTorch's torch.optim.lr_scheduler.OneCycleLR formulas: the
/// learning rate rises from max_lr/div_factor to max_lr over the first pct_start of
/// total_steps, then falls to max_lr/(div_factor·final_div_factor) (three_phase: back to
/// the start first, then down), each phase annealed by cosine or linearly; with
/// cycle_momentum, momentum (or Adam's beta1) moves the opposite way between
/// max_momentum and base_momentum. Call step() after every optimizer step (not once
/// per epoch); more than total_steps steps is an error, as in PyTorch.
#pragma once

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// How each phase of the 1cycle policy moves between its end points: by half a cosine, or linearly.
enum class Anneal {
  Cos,    ///< half a cosine (PyTorch's "cos")
  Linear  ///< a straight line (PyTorch's "linear")
};

/// The options of OneCycleLr (PyTorch's names and defaults).
struct OneCycleLrOptions {
  /// The highest learning rate, reached at the end of the rising phase.
  double max_lr = 0.1;
  /// The number of optimizer steps of the whole cycle.
  long total_steps = 100;
  /// The fraction of the cycle spent rising.
  double pct_start = 0.3;
  /// The shape of each phase.
  Anneal anneal_strategy = Anneal::Cos;
  /// Move momentum (or Adam's beta1) the opposite way to the learning rate.
  bool cycle_momentum = true;
  /// The momentum at the learning rate's peak.
  double base_momentum = 0.85;
  /// The momentum at the learning rate's lows.
  double max_momentum = 0.95;
  /// The first learning rate is max_lr / div_factor.
  double div_factor = 25;
  /// The last learning rate is max_lr / (div_factor·final_div_factor).
  double final_div_factor = 1e4;
  /// Three phases: up, back down to the start, then down to the last rate (else two).
  bool three_phase = false;
};

namespace detail {
// One phase of the cycle: from its start values at the previous phase's end step to its
// end values at end_step.
struct OneCyclePhase {
  double end_step, start_lr, end_lr, start_momentum, end_momentum;
};
}  // namespace detail

/// The 1cycle learning-rate policy of torch.optim.lr_scheduler.OneCycleLR (see one_cycle_lr.hpp). Call step()
/// after every optimizer step.
class OneCycleLr {
 public:
  /// Schedules `optimizer` with `options` and sets the first learning rate (and momentum). Throws
  /// tapegrad::Error when total_steps < 1, pct_start is outside [0, 1], or cycle_momentum is asked of an
  /// optimizer with neither momentum nor beta1.
  OneCycleLr(Optimizer& optimizer, OneCycleLrOptions options) : optimizer_(&optimizer), o_(options) {
    require(o_.total_steps >= 1, "OneCycleLr", "total_steps", static_cast<double>(o_.total_steps),
            "must be >= 1");
    require(o_.pct_start >= 0 && o_.pct_start <= 1, "OneCycleLr", "pct_start", o_.pct_start,
            "is outside [0, 1]");
    const double initial = o_.max_lr / o_.div_factor, minimum = initial / o_.final_div_factor;
    const double total = static_cast<double>(o_.total_steps);
    if (o_.three_phase)
      phases_ = {{o_.pct_start * total - 1, initial, o_.max_lr, o_.max_momentum, o_.base_momentum},
                 {2 * o_.pct_start * total - 2, o_.max_lr, initial, o_.base_momentum, o_.max_momentum},
                 {total - 1, initial, minimum, o_.max_momentum, o_.max_momentum}};
    else
      phases_ = {{o_.pct_start * total - 1, initial, o_.max_lr, o_.max_momentum, o_.base_momentum},
                 {total - 1, o_.max_lr, minimum, o_.base_momentum, o_.max_momentum}};
    if (o_.cycle_momentum) {
      momentum_name_ = optimizer.hyperparameter(0, "momentum") ? "momentum" : "beta1";
      if (!optimizer.hyperparameter(0, momentum_name_))
        throw Error("OneCycleLr: cycle_momentum needs an optimizer with momentum or beta1");
    }
    apply();  // step 0: the initial learning rate (and max_momentum)
  }

  /// Advances one optimizer step; throws tapegrad::Error past total_steps, as PyTorch does.
  void step() {
    if (step_ + 1 > o_.total_steps)
      throw Error("OneCycleLr: tried to step " + std::to_string(step_ + 1) + " times; total_steps is " +
                  std::to_string(o_.total_steps));
    ++step_;
    apply();
  }
  /// Steps taken.
  long steps() const { return step_; }

 private:
  using Phase = detail::OneCyclePhase;

  double anneal(double start, double end, double pct) const {
    if (o_.anneal_strategy == Anneal::Linear) return (end - start) * pct + start;
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
  }

  void apply() {
    const double t = static_cast<double>(step_);
    double start_step = 0;
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      const Phase& p = phases_[i];
      if (t <= p.end_step || i + 1 == phases_.size()) {
        const double pct = (t - start_step) / (p.end_step - start_step);
        for (std::size_t g = 0; g < optimizer_->group_count(); ++g) {
          optimizer_->set_learning_rate(g, anneal(p.start_lr, p.end_lr, pct));
          if (o_.cycle_momentum)
            optimizer_->set_hyperparameter(g, momentum_name_, anneal(p.start_momentum, p.end_momentum, pct));
        }
        return;
      }
      start_step = p.end_step;
    }
  }

  Optimizer* optimizer_;
  OneCycleLrOptions o_;
  std::vector<Phase> phases_;
  std::string momentum_name_;
  long step_ = 0;
};

}  // namespace tapegrad::optim
