/// \file
/// L-BFGS with PyTorch's torch.optim.LBFGS algorithm, step for step: each step(closure)
/// runs up to max_iter iterations of the two-loop recursion over the last history_size
/// curvature pairs, moving either by the fixed step lr (the first iteration ever by
/// min(1, 1/‖g‖₁)·lr) or by a strong Wolfe line search; it stops early on
/// max|g| ≤ tolerance_grad, on a directional derivative above −tolerance_change, on a
/// step or loss change below tolerance_change, or after max_eval evaluations.
///
/// All parameters form one flat vector (one parameter group, as in PyTorch). The
/// history is kept in double whatever the parameters' type.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "flat_parameters.hpp"
#include "line_search.hpp"
#include "optimizer.hpp"

namespace tapegrad::optim {

/// How L-BFGS chooses the step length: a fixed lr, or the strong Wolfe line search (PyTorch's
/// line_search_fn="strong_wolfe").
enum class LineSearch {
  None,        ///< the step length is lr
  StrongWolfe  ///< a line search for the strong Wolfe conditions, starting at lr
};
/// The names of LineSearch's values, for the command line (found by argument-dependent
/// lookup, as every enum option's table).
constexpr EnumNames<LineSearch, 2> enum_names(LineSearch) {
  return {{{LineSearch::None, "none"}, {LineSearch::StrongWolfe, "strong-wolfe"}}};
}

/// The options of Lbfgs (PyTorch's names and defaults).
struct LbfgsOptions {
  /// The learning rate: the step length without a line search, the first one tried with it.
  double lr = 1;
  /// Iterations per step() at most (each a closure evaluation or more).
  int max_iter = 20;
  int max_eval = -1;  ///< −1: max_iter · 5 / 4, PyTorch's default
  /// Stop a step when the largest gradient entry is at most this.
  double tolerance_grad = 1e-7;
  /// Stop a step when the function or the step changes by at most this.
  double tolerance_change = 1e-9;
  /// The number of correction pairs kept.
  int history_size = 100;
  /// How the step length is chosen.
  LineSearch line_search = LineSearch::None;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("max_iter", o.max_iter), v("max_eval", o.max_eval),
        v("tolerance_grad", o.tolerance_grad), v("tolerance_change", o.tolerance_change),
        v("history_size", o.history_size), v("line_search", o.line_search);
  }
};

/// L-BFGS, torch.optim.LBFGS's algorithm to the letter: each step(closure) runs up to max_iter iterations,
/// each evaluating the closure (loss and gradients) once or more. A full-batch method; its state_dict() holds
/// the correction pairs.
/// Example: \snippet test_doc_examples.cpp lbfgs
class Lbfgs : public Optimizer {
 public:
  /// The name in messages and state_dict() keys.
  static constexpr const char* name = "Lbfgs";
  /// The type of the options.
  using options_type = LbfgsOptions;

  /// Optimizes all of `parameters` as one flat vector; throws tapegrad::Error when an option is out of range.
  Lbfgs(std::vector<ParameterRef> parameters, LbfgsOptions options = {})
      : parameters_(std::move(parameters)), options_(options) {
    if (options_.max_eval < 0) options_.max_eval = options_.max_iter * 5 / 4;
    validate(options_);
  }

  /// Throws tapegrad::Error naming the option out of range.
  static void validate(const LbfgsOptions& o) {
    require(o.lr >= 0, name, "lr", o.lr, "must be >= 0");
    require(o.max_iter >= 1, name, "max_iter", o.max_iter, "must be >= 1");
    require(o.max_eval >= 1, name, "max_eval", o.max_eval, "must be >= 1");
    require(o.history_size >= 1, name, "history_size", o.history_size, "must be >= 1");
    require(o.tolerance_grad >= 0, name, "tolerance_grad", o.tolerance_grad, "must be >= 0");
    require(o.tolerance_change >= 0, name, "tolerance_change", o.tolerance_change, "must be >= 0");
  }

  bool evaluates_closure() const override { return true; }

  void step() override { throw Error("Lbfgs::step: L-BFGS re-evaluates the loss; call step(closure)"); }

  double step(const Closure& closure) override {
    const LbfgsOptions& o = options_;
    const double original_loss = closure();
    double loss = original_loss;
    int current_evals = 1;
    func_evals_ += 1;
    Eigen::VectorXd flat_grad = parameters_.gradient();
    bool optimal = flat_grad.cwiseAbs().maxCoeff() <= o.tolerance_grad;
    if (optimal) return original_loss;

    for (int n_iter = 1; n_iter <= o.max_iter; ++n_iter) {
      total_iterations_ += 1;
      // The search direction: steepest descent the very first time, then the two-loop
      // recursion with the newest curvature pair (skipped unless yᵀs > 1e-10).
      if (total_iterations_ == 1) {
        d_ = -flat_grad;
        old_dirs_.clear(), old_steps_.clear(), ro_.clear();
        h_diag_ = 1;
      } else {
        const Eigen::VectorXd y = flat_grad - prev_flat_grad_;
        const Eigen::VectorXd s = d_ * t_;
        const double ys = y.dot(s);
        if (ys > 1e-10) {
          if (static_cast<int>(old_dirs_.size()) == o.history_size) {
            old_dirs_.pop_front(), old_steps_.pop_front(), ro_.pop_front();
          }
          old_dirs_.push_back(y), old_steps_.push_back(s), ro_.push_back(1.0 / ys);
          h_diag_ = ys / y.dot(y);
        }
        const std::size_t count = old_dirs_.size();
        std::vector<double> al(count);
        Eigen::VectorXd q = -flat_grad;
        for (std::size_t i = count; i-- > 0;) {
          al[i] = old_steps_[i].dot(q) * ro_[i];
          q += -al[i] * old_dirs_[i];
        }
        d_ = q * h_diag_;
        for (std::size_t i = 0; i < count; ++i) {
          const double be_i = old_dirs_[i].dot(d_) * ro_[i];
          d_ += (al[i] - be_i) * old_steps_[i];
        }
      }
      prev_flat_grad_ = flat_grad;
      prev_loss_ = loss;
      has_direction_ = true;

      t_ = total_iterations_ == 1 ? std::min(1.0, 1.0 / flat_grad.cwiseAbs().sum()) * o.lr : o.lr;
      const double gtd = flat_grad.dot(d_);
      if (gtd > -o.tolerance_change) break;

      int ls_evals = 0;
      if (o.line_search == LineSearch::StrongWolfe) {
        const Eigen::VectorXd x_init = parameters_.values();
        const auto evaluate = [&](double t) {
          parameters_.add(t, d_);
          const double f = closure();
          Eigen::VectorXd g = parameters_.gradient();
          parameters_.set_values(x_init);
          return std::pair{f, std::move(g)};
        };
        LineSearchResult r = strong_wolfe(evaluate, t_, d_, loss, flat_grad, gtd);
        loss = r.f, flat_grad = std::move(r.g), t_ = r.t, ls_evals = r.evaluations;
        parameters_.add(t_, d_);
        optimal = flat_grad.cwiseAbs().maxCoeff() <= o.tolerance_grad;
      } else {
        parameters_.add(t_, d_);
        // Re-evaluate except after the last iteration (the next step() starts with one).
        if (n_iter != o.max_iter) {
          loss = closure();
          flat_grad = parameters_.gradient();
          optimal = flat_grad.cwiseAbs().maxCoeff() <= o.tolerance_grad;
          ls_evals = 1;
        }
      }
      current_evals += ls_evals;
      func_evals_ += ls_evals;

      if (n_iter == o.max_iter || current_evals >= o.max_eval || optimal) break;
      if ((d_ * t_).cwiseAbs().maxCoeff() <= o.tolerance_change) break;
      if (std::abs(loss - prev_loss_) < o.tolerance_change) break;
    }
    return original_loss;
  }

  /// The Optimizer interface: each member does what Optimizer documents for it.
  ///@{
  StateDict state_dict() const override {
    StateDict dict;
    dict.optimizer = name;
    const LbfgsOptions& o = options_;
    dict.entries["group.0.lr"] = {o.lr};
    dict.entries["group.0.max_iter"] = {static_cast<double>(o.max_iter)};
    dict.entries["group.0.max_eval"] = {static_cast<double>(o.max_eval)};
    dict.entries["group.0.tolerance_grad"] = {o.tolerance_grad};
    dict.entries["group.0.tolerance_change"] = {o.tolerance_change};
    dict.entries["group.0.history_size"] = {static_cast<double>(o.history_size)};
    dict.entries["group.0.line_search"] = {o.line_search == LineSearch::StrongWolfe ? 1.0 : 0.0};
    dict.entries["state.func_evals"] = {static_cast<double>(func_evals_)};
    dict.entries["state.n_iter"] = {static_cast<double>(total_iterations_)};
    dict.entries["state.history"] = {static_cast<double>(old_dirs_.size())};
    if (has_direction_) {
      dict.entries["state.d"] = to_vector(d_);
      dict.entries["state.t"] = {t_};
      dict.entries["state.H_diag"] = {h_diag_};
      dict.entries["state.prev_flat_grad"] = to_vector(prev_flat_grad_);
      dict.entries["state.prev_loss"] = {prev_loss_};
      dict.entries["state.ro"] = std::vector<double>(ro_.begin(), ro_.end());
      for (std::size_t i = 0; i < old_dirs_.size(); ++i) {
        dict.entries["state.old_dirs." + std::to_string(i)] = to_vector(old_dirs_[i]);
        dict.entries["state.old_stps." + std::to_string(i)] = to_vector(old_steps_[i]);
      }
    }
    return dict;
  }

  void load_state_dict(const StateDict& dict) override {
    dict.check_written_by(name);
    Lbfgs loaded = *this;  // filled, checked, then swapped in: a bad state changes nothing
    LbfgsOptions& o = loaded.options_;
    o.lr = dict.scalar("group.0.lr");
    o.max_iter = static_cast<int>(dict.scalar("group.0.max_iter"));
    o.max_eval = static_cast<int>(dict.scalar("group.0.max_eval"));
    o.tolerance_grad = dict.scalar("group.0.tolerance_grad");
    o.tolerance_change = dict.scalar("group.0.tolerance_change");
    o.history_size = static_cast<int>(dict.scalar("group.0.history_size"));
    o.line_search = dict.scalar("group.0.line_search") != 0 ? LineSearch::StrongWolfe : LineSearch::None;
    validate(o);
    loaded.func_evals_ = static_cast<long>(dict.scalar("state.func_evals"));
    loaded.total_iterations_ = static_cast<long>(dict.scalar("state.n_iter"));
    const auto history = static_cast<std::size_t>(dict.scalar("state.history"));
    loaded.has_direction_ = dict.entries.count("state.d") != 0;
    loaded.old_dirs_.clear(), loaded.old_steps_.clear(), loaded.ro_.clear();
    if (loaded.has_direction_) {
      const std::size_t n = static_cast<std::size_t>(parameters_.size());
      loaded.d_ = from_vector(dict.at("state.d", n));
      loaded.t_ = dict.scalar("state.t");
      loaded.h_diag_ = dict.scalar("state.H_diag");
      loaded.prev_flat_grad_ = from_vector(dict.at("state.prev_flat_grad", n));
      loaded.prev_loss_ = dict.scalar("state.prev_loss");
      const std::vector<double>& ro = dict.at("state.ro", history);
      loaded.ro_.assign(ro.begin(), ro.end());
      for (std::size_t i = 0; i < history; ++i) {
        loaded.old_dirs_.push_back(from_vector(dict.at("state.old_dirs." + std::to_string(i), n)));
        loaded.old_steps_.push_back(from_vector(dict.at("state.old_stps." + std::to_string(i), n)));
      }
    }
    *this = std::move(loaded);
  }

  std::vector<ParameterRef> parameters() const override { return parameters_.refs(); }
  void zero_grad() const override { parameters_.zero_grad(); }
  std::size_t group_count() const override { return 1; }
  double learning_rate(std::size_t) const override { return options_.lr; }
  void set_learning_rate(std::size_t, double lr) override {
    require(lr >= 0, name, "lr", lr, "must be >= 0");
    options_.lr = lr;
  }
  ///@}
  /// The options.
  const LbfgsOptions& options() const { return options_; }
  /// Loss evaluations over the optimizer's life (PyTorch's state["func_evals"]).
  long function_evaluations() const { return func_evals_; }

 private:
  static std::vector<double> to_vector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }
  static Eigen::VectorXd from_vector(const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
  }

  FlatParameters parameters_;
  LbfgsOptions options_;
  long func_evals_ = 0;
  long total_iterations_ = 0;
  bool has_direction_ = false;
  Eigen::VectorXd d_, prev_flat_grad_;
  double t_ = 0, h_diag_ = 1, prev_loss_ = 0;
  std::deque<Eigen::VectorXd> old_dirs_, old_steps_;
  std::deque<double> ro_;
};

}  // namespace tapegrad::optim
