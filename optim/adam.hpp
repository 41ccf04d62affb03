/// \file
/// Adam with PyTorch's torch.optim.Adam rule, to the letter (step t counts from 1):
///   g ← ∇f + λ·θ                            (weight_decay λ; −∇f when maximizing)
///   m ← lerp(m, g, 1 − β1),  v ← β2·v + (1 − β2)·g²
///   v̂ ← max(v̂, v) with amsgrad, else v
///   θ ← θ − (γ / (1 − β1ᵗ)) · m / (√v̂ / √(1 − β2ᵗ) + ε)
/// ε is added after the bias correction of √v, as PyTorch does.
#pragma once

#include <cmath>
#include <utility>

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Adam and its variants (AdamW, Adamax, RAdam): the same fields, with each optimizer's
/// defaults from the tag type Defaults (a double template argument needs a newer clang). amsgrad is an option
/// of Adam and AdamW only: the others leave it out of fields() and refuse it in validate().
/// The options of Adam and its variants (AdamW, Adamax, RAdam): the same fields, with
/// each optimizer's defaults from a tag type (a double template argument needs a newer
/// clang). amsgrad is an option of Adam and AdamW only: the others leave it out of
/// fields() and refuse it in validate().
template <class Defaults>
struct AdamFamilyOptions {
  /// The tag type that holds the defaults.
  using defaults = Defaults;
  /// The learning rate γ.
  double lr = Defaults::lr;
  /// The decay rate β1 of the first moment estimate (PyTorch's betas[0]).
  double beta1 = 0.9;
  /// The decay rate β2 of the second moment estimate (PyTorch's betas[1]).
  double beta2 = 0.999;
  /// The term ε added to the denominator, after the bias correction of √v.
  double eps = 1e-8;
  /// The weight decay λ: an L2 penalty added to the gradient (Adam, Adamax, RAdam), or the decoupled decay θ
  /// ← θ·(1 − γλ) (AdamW).
  double weight_decay = Defaults::weight_decay;
  /// Use the maximum of past second moments (AMSGrad; Adam and AdamW only).
  bool amsgrad = false;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("beta1", o.beta1), v("beta2", o.beta2), v("eps", o.eps),
        v("weight_decay", o.weight_decay);
    if constexpr (Defaults::has_amsgrad) v("amsgrad", o.amsgrad);
    v("maximize", o.maximize);
  }
};

/// Adam's defaults: lr 1e-3, no weight decay, amsgrad allowed.
struct AdamDefaults {
  /// The default lr and weight_decay, and whether amsgrad is an option.
  ///@{
  static constexpr double lr = 1e-3, weight_decay = 0;
  static constexpr bool has_amsgrad = true;
  ///@}
};
/// The options of Adam.
using AdamOptions = AdamFamilyOptions<AdamDefaults>;

namespace detail {

template <class Options>
void validate_adam(const char* name, const Options& o) {
  require_nonnegative(name, o, {"lr", "eps", "weight_decay"});
  require(o.beta1 >= 0 && o.beta1 < 1, name, "beta1", o.beta1, "is outside [0, 1)");
  require(o.beta2 >= 0 && o.beta2 < 1, name, "beta2", o.beta2, "is outside [0, 1)");
  if constexpr (requires { Options::defaults::has_amsgrad; })
    if (!Options::defaults::has_amsgrad && o.amsgrad)
      throw Error(std::string("") + name + ": amsgrad is an option of Adam and AdamW only");
}

// Adam's two moment estimates of a parameter (buffers 0 and 1), for Adam and its
// variants: m ← lerp(m, g, 1 − β1), v ← β2·v + (1 − β2)·g², a block at a time.
template <class T>
struct Moments {
  T* m;
  T* v;
  T one_minus_beta1, beta2, one_minus_beta2;

  template <class Options>
  Moments(const Options& o, ParameterState<T>& s, Eigen::Index n)
      : m(s.buffer(0, n)),
        v(s.buffer(1, n)),
        one_minus_beta1(static_cast<T>(1 - o.beta1)),
        beta2(static_cast<T>(o.beta2)),
        one_minus_beta2(static_cast<T>(1 - o.beta2)) {}

  // Updates entries i, i + 1, … from the block's gradient g; returns those blocks of m and v.
  std::pair<Column<T>, Column<T>> update(Eigen::Index i, const BlockArray<T>& g) const {
    Column<T> ms(m + i, g.size()), vs(v + i, g.size());
    lerp_in_place(ms, g, one_minus_beta1);
    vs = vs * beta2 + one_minus_beta2 * g * g;
    return {ms, vs};
  }
};

// The Adam update of one parameter; `decay` is the coupled weight decay (Adam's λ,
// 0 for AdamW, which decays θ itself before calling this).
template <class Options, class T>
void adam_update(const Options& o, double decay, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
  const double t = static_cast<double>(s.step);
  const double bias_correction1 = 1 - std::pow(o.beta1, t);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const T step_size = static_cast<T>(o.lr / bias_correction1);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(o.eps);
  const Moments<T> moments(o, s, n);
  T* v_max = o.amsgrad ? s.buffer(2, n) : nullptr;
  for_each_gradient_block(x, grad, n, o.maximize, decay,
                          [&](const BlockArray<T>& g, Column<T> xs, Eigen::Index i) {
                            const auto [ms, vs] = moments.update(i, g);
                            if (v_max != nullptr) {
                              Column<T> v_hat(v_max + i, g.size());
                              v_hat = v_hat.max(vs);
                              xs += (-step_size * ms) / (v_hat.sqrt() / bias_correction2_sqrt + eps);
                            } else {
                              xs += (-step_size * ms) / (vs.sqrt() / bias_correction2_sqrt + eps);
                            }
                          });
}

}  // namespace detail

/// Adam, torch.optim.Adam's update rule to the letter (in adam.hpp), for float and double Parameters.
/// Example: \snippet test_doc_examples.cpp optimizer
class Adam : public GroupedOptimizer<Adam, AdamOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Adam";
  static constexpr std::array<const char*, 3> buffer_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const AdamOptions& o) { detail::validate_adam(name, o); }

  template <class T>
  void update(const AdamOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    ///@}
    detail::adam_update(o, o.weight_decay, s, x, grad, n);
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Adam, AdamOptions>)

}  // namespace tapegrad::optim
