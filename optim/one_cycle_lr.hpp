// The 1cycle policy with PyTorch's torch.optim.lr_scheduler.OneCycleLR formulas: the
// learning rate rises from max_lr/div_factor to max_lr over the first pct_start of
// total_steps, then falls to max_lr/(div_factor·final_div_factor) (three_phase: back to
// the start first, then down), each phase annealed by cosine or linearly; with
// cycle_momentum, momentum (or Adam's beta1) moves the opposite way between
// max_momentum and base_momentum. Call step() after every optimizer step (not once
// per epoch); more than total_steps steps is an error, as in PyTorch.
#pragma once

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

enum class Anneal { Cos, Linear };

struct OneCycleLrOptions {
  double max_lr = 0.1;
  long total_steps = 100;
  double pct_start = 0.3;
  Anneal anneal_strategy = Anneal::Cos;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

class OneCycleLr {
 public:
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
        throw Error("tapegrad: OneCycleLr: cycle_momentum needs an optimizer with momentum or beta1");
    }
    apply();  // step 0: the initial learning rate (and max_momentum)
  }

  void step() {
    if (step_ + 1 > o_.total_steps)
      throw Error("tapegrad: OneCycleLr: tried to step " + std::to_string(step_ + 1) +
                  " times; total_steps is " + std::to_string(o_.total_steps));
    ++step_;
    apply();
  }
  long steps() const { return step_; }

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };

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
