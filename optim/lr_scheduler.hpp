// Learning-rate schedulers with PyTorch's torch.optim.lr_scheduler rules. Each one
// rewrites the learning rate of every group of an Optimizer; call step() once per
// epoch after optimizer.step(). The epoch schedulers are chainable as in PyTorch: each
// step changes the current learning rate, so two schedulers on one optimizer compose.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

class LrScheduler {
 public:
  explicit LrScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
    for (std::size_t g = 0; g < optimizer.group_count(); ++g) base_lrs_.push_back(optimizer.learning_rate(g));
  }
  virtual ~LrScheduler() = default;

  void step() {
    ++epoch_;
    for (std::size_t g = 0; g < base_lrs_.size(); ++g)
      optimizer_->set_learning_rate(g, next_lr(base_lrs_[g], optimizer_->learning_rate(g)));
  }
  long epoch() const { return epoch_; }

 protected:
  // The learning rate after epoch_ epochs, from the initial one and the current one.
  virtual double next_lr(double base_lr, double current_lr) const = 0;
  long epoch_ = 0;

 private:
  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
};

// lr ← lr·γ every step_size epochs.
class StepLr : public LrScheduler {
 public:
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

// lr ← lr·γ every epoch.
class ExponentialLr : public LrScheduler {
 public:
  ExponentialLr(Optimizer& optimizer, double gamma) : LrScheduler(optimizer), gamma_(gamma) {
    require(gamma >= 0, "ExponentialLr", "gamma", gamma, "must be >= 0");
  }

 protected:
  double next_lr(double, double lr) const override { return lr * gamma_; }

 private:
  double gamma_;
};

// η_t = η_min + (η_0 − η_min)·(1 + cos(πt/T_max))/2, by PyTorch's recursive form (which
// also continues past T_max, rising again).
class CosineAnnealingLr : public LrScheduler {
 public:
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

// Multiplies the learning rate by `factor` when a metric has stopped improving for
// `patience` epochs, as torch.optim.lr_scheduler.ReduceLROnPlateau.
struct ReduceLrOnPlateauOptions {
  bool maximize = false;  // PyTorch's mode "max"
  double factor = 0.1;
  long patience = 10;
  double threshold = 1e-4;
  bool relative_threshold = true;  // threshold_mode "rel" (else "abs")
  long cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

class ReduceLrOnPlateau {
 public:
  explicit ReduceLrOnPlateau(Optimizer& optimizer, ReduceLrOnPlateauOptions options = {})
      : optimizer_(&optimizer), o_(options) {
    require(options.factor < 1, "ReduceLrOnPlateau", "factor", options.factor, "must be < 1");
    require(options.factor >= 0, "ReduceLrOnPlateau", "factor", options.factor, "must be >= 0");
    best_ = o_.maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }

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
  double best() const { return best_; }

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
