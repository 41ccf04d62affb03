/// \file
/// Learning-rate schedulers with PyTorch's torch.optim.lr_scheduler rules. Each one
/// rewrites the learning rate of every group of an Optimizer; call step() once per
/// epoch after optimizer.step(). The epoch schedulers are chainable as in PyTorch: each
/// step changes the current learning rate, so two schedulers on one optimizer compose.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// The base of the epoch schedulers (PyTorch's LRScheduler): each step() advances the epoch count and sets
/// every parameter group's learning rate by the scheduler's rule. Call step() once per epoch, after the
/// optimizer's steps (the Trainer does, for schedulers given to Trainer::schedule()).
class LrScheduler {
 public:
  /// Schedules `optimizer`'s learning rates, starting from their current values (the base rates lr₀).
  explicit LrScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
    for (std::size_t g = 0; g < optimizer.group_count(); ++g) base_lrs_.push_back(optimizer.learning_rate(g));
  }
  virtual ~LrScheduler();

  /// Ends an epoch: advances the count and sets the learning rates for the next.
  void step() {
    ++epoch_;
    apply();
  }
  /// Epochs stepped so far.
  long epoch() const { return epoch_; }

  /// The epoch count and initial learning rates (the current ones are the optimizer's
  /// state): every epoch scheduler's rule is a function of these.
  StateDict state_dict() const {
    StateDict state;
    state.entries["epoch"] = {static_cast<double>(epoch_)};
    state.entries["base_lrs"] = base_lrs_;
    return state;
  }
  /// Restores what state_dict() saved; throws tapegrad::Error when the state is not a scheduler's of as many
  /// groups.
  void load_state_dict(const StateDict& state) {
    const double epoch = state.scalar("epoch");
    if (!(epoch >= 0 && epoch == std::floor(epoch)))
      throw Error("load_state_dict: a scheduler's epoch is " + std::to_string(epoch));
    base_lrs_ = state.at("base_lrs", base_lrs_.size());
    epoch_ = static_cast<long>(epoch);
  }

 protected:
  /// The learning rate after epoch_ epochs, from the initial one and the current one.
  virtual double next_lr(double base_lr, double current_lr) const = 0;
  /// Sets every group's learning rate to next_lr for epoch_. Schedulers whose epoch 0
  /// already changes it (LambdaLr, LinearLr) call it from their constructor, as
  /// PyTorch's initial step does.
  void apply() {
    for (std::size_t g = 0; g < base_lrs_.size(); ++g)
      optimizer_->set_learning_rate(g, next_lr(base_lrs_[g], optimizer_->learning_rate(g)));
  }
  /// Epochs stepped so far, for next_lr().
  long epoch_ = 0;

 private:
  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
inline LrScheduler::~LrScheduler() = default;

/// lr ← lr·γ every step_size epochs.
class StepLr : public LrScheduler {
 public:
  /// lr ← lr·gamma every `step_size` epochs; throws tapegrad::Error for step_size < 1 or gamma < 0.
  StepLr(Optimizer& optimizer, long step_size, double gamma = 0.1)
      : LrScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    require(step_size >= 1, "StepLr", "step_size", static_cast<double>(step_size), "must be >= 1");
    require(gamma >= 0, "StepLr", "gamma", gamma, "must be >= 0");
  }

 protected:
  double next_lr(double, double lr) const override { return epoch_ % step_size_ == 0 ? lr * gamma_ : lr; }

 private:
  long step_size_;
  double gamma_;
};

/// lr ← lr·γ every epoch.
class ExponentialLr : public LrScheduler {
 public:
  /// lr ← lr·gamma every epoch.
  ExponentialLr(Optimizer& optimizer, double gamma) : LrScheduler(optimizer), gamma_(gamma) {
    require(gamma >= 0, "ExponentialLr", "gamma", gamma, "must be >= 0");
  }

 protected:
  double next_lr(double, double lr) const override { return lr * gamma_; }

 private:
  double gamma_;
};

/// lr ← lr·γ at each epoch listed in `milestones` (γ^k if it is listed k times).
class MultiStepLr : public LrScheduler {
 public:
  /// lr ← lr·gamma at each epoch listed in `milestones`.
  MultiStepLr(Optimizer& optimizer, std::vector<long> milestones, double gamma = 0.1)
      : LrScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
    require(gamma >= 0, "MultiStepLr", "gamma", gamma, "must be >= 0");
  }

 protected:
  double next_lr(double, double lr) const override {
    const auto k = std::count(milestones_.begin(), milestones_.end(), epoch_);
    return k == 0 ? lr : lr * std::pow(gamma_, static_cast<double>(k));
  }

 private:
  std::vector<long> milestones_;
  double gamma_;
};

/// lr = lr₀·λ(epoch), from epoch 0 (set when constructed).
class LambdaLr : public LrScheduler {
 public:
  /// lr = lr₀·lambda(epoch), starting at epoch 0 (applied here).
  LambdaLr(Optimizer& optimizer, std::function<double(long epoch)> lambda)
      : LrScheduler(optimizer), lambda_(std::move(lambda)) {
    if (!lambda_) throw Error("LambdaLr: the function is empty");
    apply();
  }

 protected:
  double next_lr(double base_lr, double) const override { return base_lr * lambda_(epoch_); }

 private:
  std::function<double(long)> lambda_;
};

/// Warm-up: the learning rate moves linearly from lr₀·start_factor (set when
/// constructed) to lr₀·end_factor over total_iters epochs, then stays, by PyTorch's
/// recursive form lr ← lr·(1 + (e − s)/(T·s + (t − 1)(e − s))).
class LinearLr : public LrScheduler {
 public:
  /// From lr₀·start_factor (applied here) to lr₀·end_factor over total_iters epochs; throws tapegrad::Error
  /// for start_factor outside (0, 1], end_factor outside [0, 1] or total_iters < 0.
  LinearLr(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, long total_iters = 5)
      : LrScheduler(optimizer), start_(start_factor), end_(end_factor), total_(total_iters) {
    require(start_factor > 0 && start_factor <= 1, "LinearLr", "start_factor", start_factor,
            "is outside (0, 1]");
    require(end_factor >= 0 && end_factor <= 1, "LinearLr", "end_factor", end_factor, "is outside [0, 1]");
    require(total_iters >= 0, "LinearLr", "total_iters", static_cast<double>(total_iters), "must be >= 0");
    apply();
  }

 protected:
  double next_lr(double, double lr) const override {
    if (epoch_ == 0) return lr * start_;
    if (epoch_ > total_) return lr;
    return lr * (1 + (end_ - start_) / (static_cast<double>(total_) * start_ +
                                        static_cast<double>(epoch_ - 1) * (end_ - start_)));
  }

 private:
  double start_, end_;
  long total_;
};

/// Steps several schedulers of one optimizer together, in order, each changing the
/// learning rate the one before left: PyTorch's ChainedScheduler.
class ChainedScheduler {
 public:
  /// Steps `schedulers` (of one optimizer, not owned) in this order.
  explicit ChainedScheduler(std::vector<LrScheduler*> schedulers) : schedulers_(std::move(schedulers)) {}
  /// Steps each scheduler once, in order.
  void step() {
    for (LrScheduler* s : schedulers_) s->step();
  }

 private:
  std::vector<LrScheduler*> schedulers_;
};

/// η_t = η_min + (η_0 − η_min)·(1 + cos(πt/T_max))/2, by PyTorch's recursive form (which
/// also continues past T_max, rising again).
class CosineAnnealingLr : public LrScheduler {
 public:
  /// Cosine annealing from lr₀ to eta_min over t_max epochs (t_max ≥ 1).
  CosineAnnealingLr(Optimizer& optimizer, long t_max, double eta_min = 0)
      : LrScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    require(t_max >= 1, "CosineAnnealingLr", "t_max", static_cast<double>(t_max), "must be >= 1");
  }

 protected:
  double next_lr(double base_lr, double lr) const override {
    const double t = static_cast<double>(epoch_), T = static_cast<double>(t_max_);
    constexpr double pi = std::numbers::pi;
    if ((epoch_ - 1 - t_max_) % (2 * t_max_) == 0)
      return lr + (base_lr - eta_min_) * (1 - std::cos(pi / T)) / 2;
    return (1 + std::cos(pi * t / T)) / (1 + std::cos(pi * (t - 1) / T)) * (lr - eta_min_) + eta_min_;
  }

 private:
  long t_max_;
  double eta_min_;
};

/// Multiplies the learning rate by `factor` when a metric has stopped improving for
/// `patience` epochs, as torch.optim.lr_scheduler.ReduceLROnPlateau.
struct ReduceLrOnPlateauOptions {
  bool maximize = false;  ///< PyTorch's mode "max"
  /// The factor the learning rate is multiplied by when the metric stalls, in [0, 1).
  double factor = 0.1;
  /// Epochs without improvement before the learning rate is reduced.
  long patience = 10;
  /// The smallest improvement that counts (relative or absolute, by relative_threshold).
  double threshold = 1e-4;
  bool relative_threshold = true;  ///< threshold_mode "rel" (else "abs")
  /// Epochs to wait after a reduction before counting again.
  long cooldown = 0;
  /// The learning rate is never reduced below this.
  double min_lr = 0;
  /// A reduction smaller than this is not made.
  double eps = 1e-8;
};

/// Reduces the learning rate when a metric has stopped improving: torch.optim.lr_scheduler.ReduceLROnPlateau.
/// The Trainer steps it with the monitored loss after each epoch (Trainer::schedule()).
class ReduceLrOnPlateau {
 public:
  /// Watches `optimizer`'s learning rates with `options`; throws tapegrad::Error when factor is outside [0,
  /// 1).
  explicit ReduceLrOnPlateau(Optimizer& optimizer, ReduceLrOnPlateauOptions options = {})
      : optimizer_(&optimizer), o_(options) {
    require(options.factor < 1, "ReduceLrOnPlateau", "factor", options.factor, "must be < 1");
    require(options.factor >= 0, "ReduceLrOnPlateau", "factor", options.factor, "must be >= 0");
    best_ = o_.maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }

  /// Ends an epoch whose metric (a loss; with maximize, a score) was `metric`.
  void step(double metric) {
    if (is_better(metric)) {
      best_ = metric;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      bad_epochs_ = 0;
    }
    if (bad_epochs_ > o_.patience) {
      for (std::size_t g = 0; g < optimizer_->group_count(); ++g) {
        const double old_lr = optimizer_->learning_rate(g);
        const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
        if (old_lr - new_lr > o_.eps) optimizer_->set_learning_rate(g, new_lr);
      }
      cooldown_counter_ = o_.cooldown;
      bad_epochs_ = 0;
    }
  }
  /// The best metric seen.
  double best() const { return best_; }

  /// The counters and the best metric, as exact doubles.
  StateDict state_dict() const {
    StateDict state;
    state.entries["best"] = {best_};
    state.entries["bad_epochs"] = {static_cast<double>(bad_epochs_)};
    state.entries["cooldown_counter"] = {static_cast<double>(cooldown_counter_)};
    return state;
  }
  /// Restores what state_dict() saved.
  void load_state_dict(const StateDict& state) {
    const double best = state.scalar("best"), bad = state.scalar("bad_epochs"),
                 cooldown = state.scalar("cooldown_counter");
    if (!(bad >= 0 && cooldown >= 0))
      throw Error("load_state_dict: a plateau scheduler's counters are negative");
    best_ = best;
    bad_epochs_ = static_cast<long>(bad);
    cooldown_counter_ = static_cast<long>(cooldown);
  }

 private:
  bool is_better(double a) const {
    if (o_.relative_threshold)
      return o_.maximize ? a > best_ * (o_.threshold + 1) : a < best_ * (1 - o_.threshold);
    return o_.maximize ? a > best_ + o_.threshold : a < best_ - o_.threshold;
  }

  Optimizer* optimizer_;
  ReduceLrOnPlateauOptions o_;
  double best_;
  long bad_epochs_ = 0;
  long cooldown_counter_ = 0;
};

}  // namespace tapegrad::optim
