/// \file
/// Rprop with PyTorch's torch.optim.Rprop rule, to the letter: each entry keeps its own
/// step size, starting at lr, and moves by its gradient's sign alone.
///   g ← ∇f                                 (−∇f when maximizing)
///   s ← sign(g·g_prev) mapped to η+ (> 0), η− (< 0) or 1 (= 0)
///   δ ← clamp(δ·s, step_size_min, step_size_max)
///   g ← 0 where s = η−                      (after a sign change, no move and no memory)
///   θ ← θ − sign(g)·δ,  g_prev ← g
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "grouped_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Rprop (PyTorch's names and defaults).
struct RpropOptions {
  /// The initial step size of every entry.
  double lr = 1e-2;
  double eta_minus = 0.5;  ///< PyTorch's etas = (eta_minus, eta_plus)
  /// The factor a step size grows by while the gradient keeps its sign.
  double eta_plus = 1.2;
  double step_size_min = 1e-6;  ///< PyTorch's step_sizes = (min, max)
  /// The largest step size.
  double step_size_max = 50;
  /// Ascend instead of descend.
  bool maximize = false;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("eta_minus", o.eta_minus), v("eta_plus", o.eta_plus),
        v("step_size_min", o.step_size_min), v("step_size_max", o.step_size_max), v("maximize", o.maximize);
  }
};

/// Rprop (resilient backpropagation), torch.optim.Rprop's update rule (in rprop.hpp): a step size per
/// entry, grown while the gradient's sign holds and shrunk when it flips. A full-batch method.
class Rprop : public GroupedOptimizer<Rprop, RpropOptions> {
 public:
  /// What GroupedOptimizer asks of an optimizer: its `name` (in messages and state_dict() keys),
  /// `buffer_names` (its per-parameter buffers, saved under these names, which are PyTorch's),
  /// `validate(options)` (throws tapegrad::Error naming the option that is out of range) and `update(options,
  /// state, x, grad, n)` (one step of n entries, in blocks).
  ///@{
  static constexpr const char* name = "Rprop";
  static constexpr std::array<const char*, 2> buffer_names = {"prev", "step_size"};
  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  using GroupedOptimizer::GroupedOptimizer;

  static void validate(const RpropOptions& o) {
    require_nonnegative(name, o, {"lr", "step_size_min"});
    require(o.eta_minus > 0 && o.eta_minus < 1, name, "eta_minus", o.eta_minus, "is outside (0, 1)");
    require(o.eta_plus > 1, name, "eta_plus", o.eta_plus, "must be > 1");
    require(o.step_size_max >= o.step_size_min, name, "step_size_max", o.step_size_max,
            "must be >= step_size_min");
  }

  template <class T>
  void update(const RpropOptions& o, ParameterState<T>& s, T* x, const T* grad, Eigen::Index n) {
    if (!s.has(1)) s.buffers[1].setConstant(n, static_cast<T>(o.lr));
    T* prev = s.buffer(0, n);
    T* step_size = s.buffers[1].data();
    const T eta_minus = static_cast<T>(o.eta_minus), eta_plus = static_cast<T>(o.eta_plus),
            lo = static_cast<T>(o.step_size_min), hi = static_cast<T>(o.step_size_max);
    detail::for_each_gradient_block(
        x, grad, n, o.maximize, 0.0, [&](detail::BlockArray<T> g, auto xs, auto i) {
          const Eigen::Index length = g.size();
          detail::Column<T> ps(prev + i, length), ds(step_size + i, length);
          const detail::BlockArray<T> product = g * ps;
          const detail::BlockArray<T> factor =
              (product > T(0))
                  .select(eta_plus, (product < T(0)).select(eta_minus, detail::BlockArray<T>::Ones(length)));
          ds = (ds * factor).max(lo).min(hi);
          g = (factor == eta_minus).select(T(0), g);
          xs -= g.sign() * ds;
          ps = g;
          ///@}
        });
  }
};

TAPEGRAD_COMPILED_IN_LIBRARY(class GroupedOptimizer<Rprop, RpropOptions>)

}  // namespace tapegrad::optim
