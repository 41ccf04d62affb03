/// \file
/// minimize_constrained(): f(x) subject to c_lower ≤ c(x) ≤ c_upper and x_lower ≤ x ≤ x_upper,
/// solved by IPOPT's interior-point method fed exact derivatives from tapegrad: f's gradient
/// by replaying its recording, the constraints' sparse Jacobian (SparseJacobian) and the
/// sparse Hessian of the Lagrangian σ∇²f + Σ λᵢ∇²cᵢ as one SparseHessian of
/// σ f(x) + Σ λᵢ cᵢ(x) with σ and λ its parameters — pattern and coloring found once per run.
///
/// IPOPT is optional: the solver is compiled into the library tapegrad::ipopt, which exists
/// when the build found IPOPT (Debian's coinor-libipopt-dev); a program that calls
/// minimize_constrained() links it (`target_link_libraries(app tapegrad::ipopt)`, under
/// `if(TARGET tapegrad::ipopt)` where IPOPT may be absent).
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../autodiff/scalar/var.hpp"
#include "../../autodiff/sparse/sparse_hessian.hpp"
#include "../../autodiff/support/enum_names.hpp"

namespace tapegrad::optim {

/// How an IPOPT run ended, in tapegrad's words (ConstrainedResult::solver_message has IPOPT's own).
enum class ConstrainedStatus {
  Optimal,        ///< a local optimum to the tolerance: feasible, and the KKT conditions hold
  Acceptable,     ///< IPOPT stopped at its looser "acceptable" tolerances
  Infeasible,     ///< the constraints cannot be met (IPOPT converged to a point of least infeasibility)
  MaxIterations,  ///< ConstrainedOptions::max_iterations iterations were made
  Diverging,      ///< the iterates grew without bound (f unbounded below on the feasible set?)
  NotFinite,      ///< f, c or a derivative was not finite where IPOPT needed it
  Failed  ///< IPOPT could not go on (restoration failed, a step too small, …): solver_message says why
};
/// The words for each ConstrainedStatus, in messages and the command line's output.
inline constexpr EnumNames<ConstrainedStatus, 7> constrained_status_names = {
    {{ConstrainedStatus::Optimal, "optimal"},
     {ConstrainedStatus::Acceptable, "acceptable (IPOPT's looser tolerances)"},
     {ConstrainedStatus::Infeasible, "infeasible: the constraints cannot be met"},
     {ConstrainedStatus::MaxIterations, "iteration limit"},
     {ConstrainedStatus::Diverging, "diverging: the iterates grew without bound"},
     {ConstrainedStatus::NotFinite, "f, a constraint or a derivative is not finite"},
     {ConstrainedStatus::Failed, "the solver could not go on"}}};
/// The words for `s`.
inline const char* to_string(ConstrainedStatus s) { return name_of(s, constrained_status_names); }

/// One option of IPOPT's, by its name in IPOPT's documentation ("mu_strategy", "linear_solver", …), with
/// its value as text: it is converted to the option's registered type (number, integer or string).
struct IpoptOption {
  std::string name;   ///< the option's name
  std::string value;  ///< its value, as text
};

/// The constraints and settings of minimize_constrained().
struct ConstrainedOptions {
  /// Bounds on x: empty for none, or one per unknown (±infinity where a side is free).
  ///@{
  std::vector<double> lower{}, upper{};
  ///@}
  /// c_lower ≤ c(x) ≤ c_upper: one each per constraint (equal for an equality, ±infinity for a free side);
  /// both empty: every constraint is an equality c(x) = 0.
  ///@{
  std::vector<double> constraint_lower{}, constraint_upper{};
  ///@}
  double tolerance = 1e-8;     ///< IPOPT's `tol`: the scaled KKT error to stop at
  long max_iterations = 3000;  ///< IPOPT's `max_iter`
  /// IPOPT's `print_level`: 0 prints nothing (the default), 5 is IPOPT's usual iteration log.
  int print_level = 0;
  /// Second derivatives: true, the exact Hessian of the Lagrangian; false, IPOPT's limited-memory
  /// quasi-Newton approximation (no Hessian is computed). An `hessian_approximation` in `ipopt` overrides it.
  bool exact_hessian = true;
  /// Any other IPOPT option, applied last (so they override the fields above). An unknown name or a value
  /// of the wrong type makes minimize_constrained() throw tapegrad::Error naming it.
  std::vector<IpoptOption> ipopt{};
};

/// What minimize_constrained() returns. Multipliers follow IPOPT's sign convention: the Lagrangian is
/// f(x) + λᵀc(x) − z_lowerᵀ(x − lower) + z_upperᵀ(x − upper) with z ≥ 0, so at an optimum ∇f + Jᵀλ − z_lower
/// + z_upper = 0, and λᵢ ≥ 0 when cᵢ is at its upper bound, ≤ 0 at its lower bound.
struct ConstrainedResult {
  std::vector<double> x;            ///< the last iterate: the optimum when optimal()
  double f = 0;                     ///< f(x)
  std::vector<double> constraints;  ///< c(x)
  std::vector<double> multipliers;  ///< λ, one per constraint
  /// z_lower and z_upper, one per unknown (0 where x has no bound on that side).
  ///@{
  std::vector<double> bound_multipliers_lower, bound_multipliers_upper;
  ///@}
  /// The largest violation of a constraint or bound at x (0 when x is feasible).
  double constraint_violation = 0;
  long iterations = 0;  ///< IPOPT's iterations
  /// How the run ended.
  ConstrainedStatus status = ConstrainedStatus::Failed;
  std::string solver_message;  ///< IPOPT's own words for its return status
  /// Points where f was evaluated: IPOPT's iterates and the trial points of its line search.
  long objective_evaluations = 0;
  /// Evaluations of f's gradient (only where IPOPT asks for it: not at a trial point it rejects, so at most
  /// objective_evaluations), of c's Jacobian and of the Lagrangian's Hessian.
  ///@{
  long gradient_evaluations = 0, jacobian_evaluations = 0, hessian_evaluations = 0;
  ///@}
  /// Colors of the constraint Jacobian and of the Lagrangian's Hessian (the directions one evaluation
  /// sweeps; 0 for a Hessian assembled from local Hessians, which sweeps none), and their nonzeros.
  ///@{
  std::size_t jacobian_colors = 0, hessian_colors = 0, jacobian_nonzeros = 0, hessian_nonzeros = 0;
  ///@}
  /// True when x is a local optimum to the tolerance.
  bool optimal() const { return status == ConstrainedStatus::Optimal; }
  /// True when x meets every constraint and bound to within `tolerance`.
  bool feasible(double tolerance = 1e-6) const { return constraint_violation <= tolerance; }
};

namespace detail {

/// minimize_constrained()'s problem on Vars, with its Lagrangian in the two forms SparseHessian takes.
struct ConstrainedProblem {
  std::function<Var(std::span<const Var>)> objective;                 ///< f
  std::function<std::vector<Var>(std::span<const Var>)> constraints;  ///< c (empty: none)
  SparseHessian::Function lagrangian;                                 ///< σ f + λᵀc of (x, σ, λ)
  SparseHessian::WideFunction lagrangian_wide;                        ///< the same on wide Dual Vars
};

/// Runs IPOPT on `problem` (compiled in tapegrad::ipopt).
ConstrainedResult run_ipopt(const ConstrainedProblem& problem, std::span<const double> x0,
                            const ConstrainedOptions& options);

// f(x) as a V, f taking a span of V or a vector of them.
template <class V, class F>
V objective_value(F& f, std::span<const V> x) {
  return V(tapegrad::detail::call_with_span<V>(f, x));
}
// c(x) as a vector of V.
template <class V, class C>
std::vector<V> constraint_values(C& c, std::span<const V> x) {
  std::vector<V> out;
  for (const auto& y : tapegrad::detail::call_with_span<V>(c, x)) out.emplace_back(y);
  return out;
}

// Stands for "no constraints" (bounds only).
struct NoConstraints {
  template <class V>
  std::vector<V> operator()(std::span<const V>) const {
    return {};
  }
};

// Whether g can be called on wide Dual Vars (g generic), for the recordings that do not replay.
template <class G>
inline constexpr bool takes_wide_duals = std::is_invocable_v<G&, std::span<const WideDualVar>> ||
                                         std::is_invocable_v<G&, const std::vector<WideDualVar>&>;

// The problem of f and c on n unknowns (c = NoConstraints: bounds only); the Lagrangian
// takes x followed by the weights (σ, λ₁, …, λₘ).
template <class F, class C>
ConstrainedProblem constrained_problem(F f, C c, std::size_t n) {
  ConstrainedProblem p;
  p.objective = [f](std::span<const Var> x) mutable { return objective_value<Var>(f, x); };
  if constexpr (!std::is_same_v<C, NoConstraints>)
    p.constraints = [c](std::span<const Var> x) mutable { return constraint_values<Var>(c, x); };
  auto lagrangian = [f, c, n](auto all) mutable {
    using V = std::remove_cvref_t<decltype(all[0])>;
    const auto x = all.first(n);
    const auto w = all.subspan(n);
    V l = w[0] * objective_value<V>(f, x);
    // NoConstraints gives no terms (and allocates nothing).
    const std::vector<V> cs = constraint_values<V>(c, x);
    for (std::size_t i = 0; i < cs.size() && i + 1 < w.size(); ++i) l += w[i + 1] * cs[i];
    return l;
  };
  p.lagrangian = [lagrangian](std::span<const Var> all) mutable { return Var(lagrangian(all)); };
  // The Lagrangian takes wide Duals only when f and c both do (NoConstraints takes any numbers).
  if constexpr (takes_wide_duals<F> && takes_wide_duals<C>)
    p.lagrangian_wide = [lagrangian](std::span<const WideDualVar> all) mutable {
      return WideDualVar(lagrangian(all));
    };
  return p;
}

}  // namespace detail

/// Minimizes f(x) subject to options.constraint_lower ≤ c(x) ≤ options.constraint_upper (c(x) = 0 when
/// those are empty) and options.lower ≤ x ≤ options.upper, from x0, by IPOPT (see
/// minimize_constrained.hpp). f and c are written generically (`[](auto x) { … }` over a span of numbers):
/// f returns a number, c a std::vector of m numbers. Either may instead take only a span of Vars; the
/// exact Hessian of the Lagrangian then comes from replaying its recording, so f and c must hold no custom
/// ops or tensor operations (tapegrad::Error otherwise). Does not throw when no optimum is found: the
/// result's status says why. Throws tapegrad::Error for bounds of the wrong size or crossing (lower >
/// upper), an unknown IPOPT option; rethrows what f or c throws.
///
/// \snippet test_constrained_example.cpp minimize_constrained
template <class F, class C>
ConstrainedResult minimize_constrained(F f, C c, std::span<const double> x0,
                                       const ConstrainedOptions& options = {}) {
  return detail::run_ipopt(detail::constrained_problem(std::move(f), std::move(c), x0.size()), x0, options);
}
/// minimize_constrained(f, c, x0) with x0 as a std::vector.
template <class F, class C>
ConstrainedResult minimize_constrained(F f, C c, const std::vector<double>& x0,
                                       const ConstrainedOptions& options = {}) {
  return minimize_constrained(std::move(f), std::move(c), std::span<const double>(x0), options);
}
/// Minimizes f(x) subject to the bounds options.lower ≤ x ≤ options.upper only (no constraint
/// functions), by IPOPT.
template <class F>
ConstrainedResult minimize_bounded(F f, std::span<const double> x0, const ConstrainedOptions& options) {
  return detail::run_ipopt(detail::constrained_problem(std::move(f), detail::NoConstraints{}, x0.size()), x0,
                           options);
}
/// minimize_bounded(f, x0) with x0 as a std::vector.
template <class F>
ConstrainedResult minimize_bounded(F f, const std::vector<double>& x0, const ConstrainedOptions& options) {
  return minimize_bounded(std::move(f), std::span<const double>(x0), options);
}

}  // namespace tapegrad::optim
