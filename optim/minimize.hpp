/// \file
/// minimize(): drives any Optimizer on a function written with Vars, until the gradient
/// norm, the change in f or the step count says stop. f is recorded once and each
/// evaluation replays it (replay/recorded_function.hpp) and sweeps it once, with the
/// same bits as recording it again; where a comparison of Vars or a kink in f comes out
/// otherwise it is recorded again, and an f with a custom_op is recorded at every
/// evaluation. So f must branch on Vars (`x[0] > 0`), not on `x[0].value()`.
///
/// Callbacks are detected at compile time (as in ensmallen): pass any objects with some
/// of these members, and only those are called; with no callbacks nothing is called.
///   bool on_step(const StepReport&)   // before each update; true stops early
///   void on_step(const StepReport&)
///   void on_end(const MinimizeResult&)
/// PrintProgress, StopWhenF and KeepBest below are ready-made.
///
/// A run is diverging by one rule, DivergenceWatch below: minimize() stops on it
/// (StopReason::Diverged) and the path charts mark such a run "diverged".
///
/// minimize_with_restarts() runs minimize from K starting points drawn uniformly from a
/// box (seeded), keeps every distinct local minimum reached, and returns the best.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../autodiff/replay/recorded_function.hpp"
#include "../autodiff/scalar/gradient.hpp"
#include "../autodiff/scalar/hessian.hpp"
#include "../autodiff/sparse/sparse_hessian.hpp"
#include "../autodiff/support/enum_names.hpp"
#include "../autodiff/tensor/parameter.hpp"
#include "optimizer.hpp"

namespace tapegrad::optim {

/// When minimize() stops; the first condition met ends the run.
struct StopWhen {
  long max_steps = 1000;        ///< updates at most
  double gradient_norm = 1e-8;  ///< ‖∇f‖₂ at most this
  double f_change = 0;          ///< |f_k − f_{k−1}| at most this (0: only when f stops changing)
  /// Stop as diverging when f rises this many times its scale above its start (DivergenceWatch);
  /// infinity never stops a run for growth (f or x not finite still does).
  double divergence_growth = 1e4;
};

/// Stalled: the optimizer's step left x exactly where it was, so nothing the caller
/// asked for can be reached any more; for L-BFGS that is its own tolerance_grad or
/// tolerance_change ending the step (set them lower, or to 0, to go on). NotFinite:
/// f, its gradient or x overflowed or became NaN (unbounded below, diverging, or a step
/// out of f's domain); the result then holds the last point where all were finite, and
/// MinimizeResult::not_finite_at the point where they stopped being. Diverged: f grew
/// far above its start and was still growing (DivergenceWatch); the result holds the
/// point where that was seen.
enum class StopReason {
  GradientNorm,  ///< ‖∇f‖₂ fell to StopWhen::gradient_norm
  FChange,       ///< f changed by at most StopWhen::f_change
  MaxSteps,      ///< StopWhen::max_steps updates were made
  Callback,      ///< a callback's on_step() returned true
  NotFinite,     ///< f, its gradient or x overflowed or became NaN
  Stalled,       ///< the optimizer's step left x where it was
  Diverged       ///< f grew far above its start and kept growing (DivergenceWatch)
};

/// The words for each StopReason, in messages and the command line's output.
inline constexpr EnumNames<StopReason, 7> stop_reason_names = {
    {{StopReason::GradientNorm, "gradient norm"},
     {StopReason::FChange, "change in f"},
     {StopReason::MaxSteps, "step count"},
     {StopReason::Callback, "callback"},
     {StopReason::NotFinite, "f or its gradient is not finite"},
     {StopReason::Stalled, "the optimizer stopped moving x"},
     {StopReason::Diverged, "diverged"}}};
/// The words for `r` ("gradient norm", "step count", …).
inline const char* to_string(StopReason r) { return name_of(r, stop_reason_names); }
/// Whether a result is a point the caller asked for (not a failure).
inline bool converged(StopReason r) {
  return r == StopReason::GradientNorm || r == StopReason::FChange || r == StopReason::Callback;
}

/// The one rule by which a run of an optimizer is diverging: f (or x) is not finite, or
/// f rose in each of its last three steps and lies more than `growth` times its scale
/// above its start f₀:
///
///     f_k > f_{k−1} > f_{k−2} > f_{k−3}  and
///     f_k − f₀ > growth · max(|f₀|, |f_j − f₀|, f₀ − f_min, DBL_MIN)
///
/// where f_j is the first f that differs from f₀ and f_min is the lowest f so far. The
/// scale is f's own size, the first change the run made and the progress made, so the
/// rule does not depend on where f's zero lies when f₀ is near 0; a run that converges
/// never rises that far, one that oscillates and recovers is not stopped while it
/// falls. The first change is the first nonzero one, not the first step's, because a
/// run from f₀ = 0 whose first steps leave f at 0 has shown no size yet: measured by 0,
/// any later rise (even 1e-300) would count as diverging. DBL_MIN keeps the scale
/// positive until f moves at all, so that no rise counts before there is one to
/// compare with. Three rises in a row, because one overshoot that the next steps repair
/// (L-BFGS without a line search from a start near a minimum, where the scale is small)
/// is no divergence, while a runaway rises every step. minimize() stops on it (StopReason::Diverged), before
/// any other reason but a value that is not finite.
class DivergenceWatch {
 public:
  /// The factor of the rule (StopWhen::divergence_growth).
  explicit DivergenceWatch(double growth = 1e4) : growth_(growth) {}
  /// Takes the next f of the run (the start first); true when the run is diverging at it.
  bool add(double f) {
    if (!std::isfinite(f)) return true;
    ++count_;
    if (count_ == 1) {
      f0_ = f_min_ = previous_ = f;
      return false;
    }
    if (first_change_ == 0) first_change_ = std::abs(f - f0_);
    rises_ = f > previous_ ? rises_ + 1 : 0;
    previous_ = f;
    f_min_ = std::min(f_min_, f);
    const double scale =
        std::max({std::abs(f0_), first_change_, f0_ - f_min_, std::numeric_limits<double>::min()});
    return rises_ >= 3 && f - f0_ > growth_ * scale;
  }

 private:
  double growth_;
  long count_ = 0, rises_ = 0;  // rises_: the steps in a row in which f rose
  double f0_ = 0, f_min_ = 0, previous_ = 0, first_change_ = 0;
};

/// Whether a run whose f went through `f` (its start first) diverged at any point, by
/// DivergenceWatch's rule with the factor `growth` (pass the run's
/// StopWhen::divergence_growth to agree with what minimize() said of it).
inline bool diverged(std::span<const double> f, double growth = 1e4) {
  DivergenceWatch watch(growth);
  for (const double v : f)
    if (watch.add(v)) return true;
  return false;
}

/// What a callback's on_step() sees before each update.
struct StepReport {
  long step;  ///< updates made so far
  /// f at x.
  double f;
  /// ‖∇f(x)‖₂.
  double gradient_norm;
  /// The current point (valid during the call only).
  std::span<const double> x;
  /// ∇f at x (valid during the call only).
  std::span<const double> gradient;
};

/// What minimize() returns.
struct MinimizeResult {
  /// The last point: the minimum found, or where the run stopped (with NotFinite the
  /// last finite point, reached by the update before the last).
  std::vector<double> x;
  /// f at x.
  double f = 0;
  /// ‖∇f(x)‖₂.
  double gradient_norm = 0;
  /// Updates made (with NotFinite, the last of them the one that left the finite values).
  long steps = 0;
  /// Why the run stopped; converged(reason) says whether that is success.
  StopReason reason = StopReason::MaxSteps;
  /// Evaluations of f and its gradient (a line search makes several per step).
  long evaluations = 0;
  /// With StopReason::NotFinite after at least one step: the first point evaluated
  /// where f or its gradient was not finite (x holds the last finite iterate), to say why.
  std::vector<double> not_finite_at{};
};

/// Prints one line every `every` steps.
struct PrintProgress {
  /// Print every this many steps.
  long every = 1;
  /// Where to print.
  std::FILE* out = stdout;
  /// Prints "step k  f = …  |grad| = …" on the steps that are multiples of `every`.
  void on_step(const StepReport& r) const {
    if (r.step % every == 0)
      std::fprintf(out, "step %ld  f = %.12g  |grad| = %.3g\n", r.step, r.f, r.gradient_norm);
  }
};

/// Stops as soon as f falls to `target` or below.
struct StopWhenF {
  /// The value of f to stop at.
  double target;
  /// True (stop) when f ≤ target.
  bool on_step(const StepReport& r) const { return r.f <= target; }
};

/// Remembers the lowest point seen (an optimizer with momentum may pass it).
struct KeepBest {
  /// The lowest f seen.
  double f = std::numeric_limits<double>::infinity();
  /// Where f was lowest.
  std::vector<double> x;
  /// Keeps the point if it is the lowest so far.
  void on_step(const StepReport& r) {
    if (r.f < f) {
      f = r.f;
      x.assign(r.x.begin(), r.x.end());
    }
  }
};

namespace detail {

template <class Callback>
bool report_step(Callback& callback, const StepReport& r) {
  if constexpr (requires {
                  { callback.on_step(r) } -> std::convertible_to<bool>;
                }) {
    return callback.on_step(r);
  } else if constexpr (requires { callback.on_step(r); }) {
    callback.on_step(r);
  }
  return false;
}

// Why minimize stops after evaluating f at step `step`, if it does. Divergence (by
// DivergenceWatch) comes before every reason but a value that is not finite: a run that
// is diverging has failed whichever other limit it meets at the same step, and the text,
// the exit code and the picture must all say so.
inline std::optional<StopReason> stop_reason(const StopWhen& stop, long step, double f, double previous_f,
                                             double gradient_norm, bool callback_says_stop, bool x_moved,
                                             bool diverging = false) {
  if (!std::isfinite(f) || !std::isfinite(gradient_norm)) return StopReason::NotFinite;
  if (diverging) return StopReason::Diverged;
  if (callback_says_stop) return StopReason::Callback;
  if (gradient_norm <= stop.gradient_norm) return StopReason::GradientNorm;
  if (step > 0 && !x_moved) return StopReason::Stalled;  // x_moved: in either of the last two steps
  if (step > 0 && std::abs(f - previous_f) <= stop.f_change) return StopReason::FChange;
  if (step >= stop.max_steps) return StopReason::MaxSteps;
  return std::nullopt;
}

// Curvature::sparse_hessian for f at point(): the SparseHessian is made at the first
// call and kept for the run (the Curvature's copies share it), and so is a failure to
// make it, thrown again at every later call instead of recording f again. f is taken by
// reference, as the rest of minimize() takes it, and recorded on Vars only: an f whose
// recording does not replay (tensor operations, custom ops) would need f compiled on
// 8-wide Dual numbers as well, which took a third more compile time in every program that
// calls minimize(), so for such an f SparseHessian refuses (it has no WideFunction: at
// the first point, or at a later one where a changed branch records f again) and
// Newton's Auto takes the dense Hessian.
template <class F, class Point>
std::function<SparseHessian&(std::size_t)> sparse_hessian_of(F& f, Point point) {
  struct Made {
    std::optional<SparseHessian> hessian;
    std::optional<Error> failure;
  };
  auto made = std::make_shared<Made>();
  return [&f, point, made](std::size_t max_nonzeros) -> SparseHessian& {
    if (made->hessian) return *made->hessian;
    if (made->failure) throw *made->failure;
    try {
      SparseHessianOptions options;
      options.max_nonzeros = max_nonzeros;
      made->hessian.emplace(SparseHessian::as_function(std::ref(f)), SparseHessian::WideFunction{}, point(),
                            options);
    } catch (const Error& e) {
      std::string_view reason = e.what();
      if (reason.starts_with(tapegrad::detail::error_prefix))
        reason.remove_prefix(tapegrad::detail::error_prefix.size());
      made->failure = Error("minimize: Newton's sparse Hessian: ", reason,
                            " (hessian = dense takes the dense Hessian, as auto does then)");
      throw *made->failure;
    }
    return *made->hessian;
  };
}

// The Hessian of f at the Parameter x's current values, for Newton-type optimizers, and
// the sparse form made when a method first asks for it. An f written generically is
// recorded afresh on Dual Vars for each product (forward over reverse on the tape of
// `second_order`, made here): compiled C++, that costs about two gradients, less than
// linearizing a recording unless a point takes many products. An f written on Vars only
// (the command line's expressions, which an interpreter evaluates: each fresh evaluation
// on Duals costs many replays) has its products from minimize()'s own recording of it,
// `recorded`, linearized at each new point (RecordedFunction::linearize): each product then
// reads the statements' local Hessians, with no rule evaluated.
template <class F>
Curvature curvature_of(F& f, const Parameter& x, std::unique_ptr<HessianOperator<F&>>& second_order,
                       std::optional<RecordedFunction>& recorded) {
  const auto point = [&x] {
    return std::span<const double>(x.value().data(), static_cast<std::size_t>(x.size()));
  };
  Curvature curvature;
  if constexpr (std::is_invocable_v<F&, std::span<const DualVar>> ||
                std::is_invocable_v<F&, const std::vector<DualVar>&>) {
    second_order = std::make_unique<HessianOperator<F&>>(f);
    curvature.hessian_vector_product = [&x, &second_order, point](const Eigen::VectorXd& v,
                                                                  Eigen::VectorXd& hv) {
      Eigen::VectorXd gradient(x.size());
      hv.resize(x.size());
      second_order->hvp(point(), std::span<const double>(v.data(), static_cast<std::size_t>(v.size())),
                        std::span<double>(gradient.data(), static_cast<std::size_t>(gradient.size())),
                        std::span<double>(hv.data(), static_cast<std::size_t>(hv.size())));
    };
    curvature.hessian = [&second_order, point] { return second_order->hessian(point()); };
  } else if constexpr (std::is_invocable_v<F&, std::span<const Var>>) {
    struct Linearized {
      std::optional<RecordedFunction>* recorded;  // minimize()'s, which its evaluations replay too
      std::vector<double> at, gradient;           // the point of the last linearize()
      std::size_t recording = 0;                  // the recording's rerecordings() then
      // The recording linearized at `x` (recorded here if minimize() has not yet; linearized
      // again where x moved or the recording was made again since).
      RecordedFunction& at_point(F& f, std::span<const double> x) {
        try {
          if (!*recorded) recorded->emplace([&f](std::span<const Var> v) { return Var(f(v)); }, x);
          RecordedFunction& fn = **recorded;
          if (at.size() != x.size() || !std::equal(at.begin(), at.end(), x.begin()) ||
              recording != fn.rerecordings()) {
            at.clear();  // until linearize() has succeeded
            gradient.resize(x.size());
            fn.linearize(x, gradient);
            at.assign(x.begin(), x.end());
            recording = fn.rerecordings();
          }
          return fn;
        } catch (const Error& e) {
          std::string_view reason = e.what();
          if (reason.starts_with(tapegrad::detail::error_prefix))
            reason.remove_prefix(tapegrad::detail::error_prefix.size());
          throw Error(
              "minimize: a Newton-type optimizer takes the Hessian of an f written on Vars from its "
              "recording: ",
              reason, " (write f generically, [](auto x) { … }, to have it recorded on Dual numbers)");
        }
      }
    };
    auto linearized = std::make_shared<Linearized>(Linearized{&recorded, {}, {}, 0});
    curvature.hessian_vector_product = [&f, point, linearized](const Eigen::VectorXd& v,
                                                               Eigen::VectorXd& hv) {
      const std::span<const double> at = point();
      hv.resize(static_cast<Eigen::Index>(at.size()));
      linearized->at_point(f, at).hessian_product(
          std::span<const double>(v.data(), static_cast<std::size_t>(v.size())),
          std::span<double>(hv.data(), static_cast<std::size_t>(hv.size())));
    };
    curvature.hessian = [&f, point, linearized] {
      const std::span<const double> at = point();
      RecordedFunction& fn = linearized->at_point(f, at);
      return tapegrad::detail::hessian_from_products(
          at.size(),
          [&](std::span<const double> v, std::span<double> column) { fn.hessian_product(v, column); });
    };
  } else {
    throw Error("minimize: a Newton-type optimizer needs the Hessian of f: f must take a span of Vars");
  }
  curvature.sparse_hessian = sparse_hessian_of(f, point);
  return curvature;
}

template <class Callback>
void report_end(Callback& callback, const MinimizeResult& result) {
  if constexpr (requires { callback.on_end(result); }) callback.on_end(result);
}

}  // namespace detail

/// Minimizes f(x) (f: callable taking std::span<const Var>, returning a Var) from and in
/// the n×1 Parameter x, moved by `optimizer`, which must hold x, until `stop` says so;
/// `callbacks` as described in minimize.hpp. f is recorded once and replayed at each
/// evaluation (recorded again where a comparison of Vars changes), so an evaluation costs
/// about one replay and one reverse sweep. Returns the last point and why it stopped; a
/// result that is not finite is never reported as a minimum (StopReason::NotFinite, with
/// the last finite point). Throws tapegrad::Error when x is not a column.
template <class F, class... Callbacks>
MinimizeResult minimize(F&& f, Parameter& x, Optimizer& optimizer, const StopWhen& stop,
                        Callbacks&&... callbacks) {
  if (x.cols() != 1) throw Error("minimize: x must be a column (n×1), not " + x.shape());
  const auto n = static_cast<std::size_t>(x.size());
  Tape tape;
  std::vector<Var> vars(n);
  const std::span<double> gradient(x.grad().data(), n);
  std::optional<RecordedFunction> recorded;
  bool replay = true;
  // The last evaluation, kept: minimize evaluates f before each step and an optimizer
  // that evaluates the closure (L-BFGS) starts its step at the same point, and a line
  // search may end where it last looked; those evaluations are not made twice.
  std::vector<double> cached_x, cached_gradient;
  double cached_f = 0;
  long evaluations = 0;
  // The first point where f or its gradient was not finite: a line search may carry on
  // from it to a NaN x, which says nothing about why.
  std::vector<double> first_not_finite;
  const auto evaluate = [&] {
    const std::span<const double> at(x.value().data(), n);
    if (replay) {
      try {
        if (!recorded) recorded.emplace([&f](std::span<const Var> v) { return Var(f(v)); }, at);
        return recorded->gradient(at, gradient);
      } catch (const NotReplayable&) {
        replay = false;  // f holds a custom_op: record it at every evaluation
      }
    }
    tape.clear();
    for (std::size_t i = 0; i < n; ++i) vars[i] = at[i];
    const Var y = f(std::span<const Var>(vars));
    tapegrad::gradient(y, std::span<const Var>(vars), gradient);
    return y.value();
  };
  const Closure closure = [&] {
    const double* at = x.value().data();
    if (evaluations > 0 && std::equal(cached_x.begin(), cached_x.end(), at)) {
      std::copy(cached_gradient.begin(), cached_gradient.end(), gradient.begin());
      return cached_f;
    }
    cached_f = evaluate();
    ++evaluations;
    cached_x.assign(at, at + n);
    cached_gradient.assign(gradient.begin(), gradient.end());
    if (first_not_finite.empty() && std::all_of(at, at + n, [](double v) { return std::isfinite(v); }) &&
        (!std::isfinite(cached_f) ||
         !std::all_of(gradient.begin(), gradient.end(), [](double v) { return std::isfinite(v); })))
      first_not_finite = cached_x;
    return cached_f;
  };

  double fx = 0, norm = 0, previous_f = 0, previous_norm = 0;
  long step = 0;
  StopReason reason = StopReason::MaxSteps;
  std::vector<double> previous_x(n);  // the last point where f and its gradient were finite
  // Rprop skips a step by design after a sign change, so one step that leaves x where
  // it was is not yet a stall; two in a row are.
  bool x_moved = true, moved_last_step = true;
  std::unique_ptr<HessianOperator<F&>> second_order;
  const Curvature curvature =
      optimizer.needs_curvature() ? detail::curvature_of(f, x, second_order, recorded) : Curvature{};
  DivergenceWatch divergence(stop.divergence_growth);
  for (;; ++step) {
    fx = closure();
    norm = x.grad().norm();
    // A step to a non-finite x can leave f finite (exp(-x) at x = inf): not a point either.
    if (!x.value().allFinite()) norm = std::numeric_limits<double>::quiet_NaN();
    const StepReport report{step, fx, norm, std::span<const double>(x.value().data(), n), gradient};
    bool stop_early = false;
    ((stop_early = detail::report_step(callbacks, report) || stop_early), ...);
    const bool diverging = divergence.add(fx);
    if (const auto r =
            detail::stop_reason(stop, step, fx, previous_f, norm, stop_early, x_moved, diverging)) {
      reason = *r;
      break;
    }
    previous_f = fx;
    previous_norm = norm;
    std::copy(x.value().data(), x.value().data() + n, previous_x.begin());
    if (optimizer.needs_curvature())
      optimizer.step(closure, curvature);
    else if (optimizer.evaluates_closure())
      optimizer.step(closure);
    else
      optimizer.step();
    const bool moved = !std::equal(previous_x.begin(), previous_x.end(), x.value().data());
    x_moved = moved || moved_last_step;
    moved_last_step = moved;
  }
  MinimizeResult result{std::vector<double>(x.value().data(), x.value().data() + n), fx, norm, step, reason};
  result.evaluations = evaluations;
  if (reason == StopReason::NotFinite && step > 0) {  // report where it was last finite
    result.not_finite_at = first_not_finite.empty() ? std::move(result.x) : std::move(first_not_finite);
    result.x = previous_x;
    result.f = previous_f;
    result.gradient_norm = previous_norm;
    // steps stays the updates made, the last of them the one that left the finite values.
  }
  (detail::report_end(callbacks, result), ...);
  return result;
}

/// Minimizes f from x0 with the optimizer make_optimizer(x) builds on the Parameter x
/// (returned by value, or as a std::unique_ptr), as minimize(f, x, optimizer, stop) does.
/// Newton-type optimizers get f's Hessian by forward over reverse when f is written
/// generically (`[](auto x) …`).
///
/// \snippet test_doc_examples.cpp minimize
template <class F, class MakeOptimizer, class... Callbacks>
MinimizeResult minimize(F&& f, std::span<const double> x0, MakeOptimizer&& make_optimizer,
                        const StopWhen& stop, Callbacks&&... callbacks) {
  Parameter x(Eigen::Map<const Eigen::VectorXd>(x0.data(), static_cast<Eigen::Index>(x0.size())));
  auto optimizer = make_optimizer(x);
  if constexpr (std::is_base_of_v<Optimizer, decltype(optimizer)>)
    return minimize(f, x, optimizer, stop, callbacks...);
  else  // a pointer to one (std::unique_ptr<Optimizer>: chosen at run time)
    return minimize(f, x, *optimizer, stop, callbacks...);
}

/// A distinct local minimum found by minimize_with_restarts().
struct LocalMinimum {
  /// The run that reached it first (its x, f, steps and reason).
  MinimizeResult result;
  long found = 1;  ///< how many starts reached it
};

/// What minimize_with_restarts() returns.
struct RestartsResult {
  /// The lowest minimum found; when every start failed, the last failed run.
  MinimizeResult best;
  std::vector<LocalMinimum> minima;  ///< distinct, lowest f first (failed starts left out)
  /// Starts whose run diverged or left the finite values (StopReason::Diverged or
  /// NotFinite): where such a run stopped is no minimum, so it is not among `minima`.
  long failed = 0;
};

/// Whether a run ended somewhere that says nothing about a minimum: it diverged, or f,
/// its gradient or x stopped being finite.
inline bool failed(StopReason r) { return r == StopReason::Diverged || r == StopReason::NotFinite; }

/// minimize from `starts` points drawn uniformly from the box [lower, upper] (seeded).
/// Two results are the same minimum when their points are within `same_point` of each
/// other (max norm, relative to the box's size).
/// Runs that diverge or leave the finite values are counted in RestartsResult::failed,
/// not kept as minima; when every start fails, `minima` is empty and `best` is the last
/// run (its reason says why).
/// Callbacks, as minimize() takes them, see every run (each from step 0).
template <class F, class MakeOptimizer, class... Callbacks>
RestartsResult minimize_with_restarts(F&& f, std::span<const double> lower, std::span<const double> upper,
                                      int starts, unsigned long seed, MakeOptimizer&& make_optimizer,
                                      const StopWhen& stop, double same_point = 1e-4,
                                      Callbacks&&... callbacks) {
  if (lower.size() != upper.size() || lower.empty())
    throw Error("minimize_with_restarts: the box's lower and upper corners have " +
                std::to_string(lower.size()) + " and " + std::to_string(upper.size()) + " coordinates");
  if (starts < 1) throw Error("minimize_with_restarts: starts = " + std::to_string(starts) + " must be >= 1");
  double box = 0;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (!(lower[i] <= upper[i]))
      throw Error("minimize_with_restarts: lower[" + std::to_string(i) + "] is above upper[" +
                  std::to_string(i) + "]");
    box = std::max(box, upper[i] - lower[i]);
  }
  std::mt19937_64 rng(seed);
  RestartsResult out;
  for (int s = 0; s < starts; ++s) {
    std::vector<double> x0(lower.size());
    for (std::size_t i = 0; i < x0.size(); ++i)
      x0[i] = std::uniform_real_distribution<double>(lower[i], upper[i])(rng);
    MinimizeResult r = minimize(f, std::span<const double>(x0), make_optimizer, stop, callbacks...);
    if (failed(r.reason) || !std::isfinite(r.f)) {
      ++out.failed;
      if (out.minima.empty()) out.best = std::move(r);
      continue;
    }
    auto same = std::find_if(out.minima.begin(), out.minima.end(), [&](const LocalMinimum& m) {
      double distance = 0;
      for (std::size_t i = 0; i < r.x.size(); ++i)
        distance = std::max(distance, std::abs(r.x[i] - m.result.x[i]));
      return distance <= same_point * std::max(box, 1.0);
    });
    if (same == out.minima.end()) {
      out.minima.push_back({std::move(r), 1});
    } else {
      same->found += 1;
      if (r.f < same->result.f) same->result = std::move(r);
    }
  }
  if (out.minima.empty()) return out;
  std::sort(out.minima.begin(), out.minima.end(),
            [](const LocalMinimum& a, const LocalMinimum& b) { return a.result.f < b.result.f; });
  out.best = out.minima.front().result;
  return out;
}

}  // namespace tapegrad::optim
