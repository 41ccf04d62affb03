/// \file
/// solve(F, x0): a root of n equations in n unknowns, F: span of Vars → std::vector of n
/// Vars, by one of three methods (SolveOptions::method), each in its own file under solve/:
///  - Newton (solve/newton_line_search.hpp): J p = −F, a backtracking line search on ½‖F‖²,
///    and Levenberg–Marquardt (least_squares.hpp) from wherever Newton cannot go on (J
///    singular, or no step length lowers ½‖F‖²), which needs no invertible J;
///  - Dogleg (solve/dogleg.hpp): Powell's dogleg in a trust region scaled by J's column norms,
///    MINPACK's hybrj with the tape's exact J instead of Broyden updates; it takes the badly
///    scaled systems where a line search along the Newton direction crawls;
///  - NewtonKrylov (solve/newton_krylov.hpp): inexact Newton, GMRES (linear/gmres.hpp) on exact
///    J·v products swept over F's recording, Eisenstat–Walker forcing terms, no matrix formed.
/// Newton and Dogleg store J dense (column-pivoting QR, solve/dense_system.hpp) or sparse (the
/// pattern and its coloring found once per solve, SparseLu, solve/sparse_system.hpp), as
/// SolveOptions::jacobian says.
///
/// Every method reads F's recordings on one tape (solve/recorded_equations.hpp): the start's,
/// made before the method is chosen, is the one its first J is swept from.
///
/// Auto: Newton–Krylov above solve_krylov_above_unknowns unknowns, or when J has more than
/// solve_krylov_above_nonzeros nonzeros, where a factorization would not fit in memory (unless
/// F records a tensor operation, which has no forward sweep, or SolveOptions::jacobian asks for
/// a matrix); Newton otherwise, with J dense up to solve_dense_up_to unknowns and sparse above
/// (dense again when the pattern fills more than solve_dense_above_density of n², up to
/// solve_dense_at_most unknowns); the bounds' comments give the measurements they rest on.
/// Auto never picks Dogleg: the line search with its hand-over is as fast on most systems (Moré,
/// Garbow & Hillstrom's 1, 7, 13, 26–31 took about as many steps either way) and keeps the
/// behaviour solve() had; ask for Dogleg on badly scaled ones (their problem 3: 29 dogleg steps
/// against 54 line-search steps and 215 evaluations of F).
///
/// What counts as a root, whatever the method: ‖F‖ ≤ tolerance at a point that is located,
/// at the start as anywhere else. Located means: J is regular there and the Newton correction p
/// (J p = −F) is at most 10⁻⁸·max(‖x‖, 1); or, for a multiple root where J is singular, the
/// steps converge: the last two step ratios below 1 and steady (linear convergence) or falling
/// (faster), and the distance still to go, last step · r/(1 − r) with r the larger ratio, is at
/// most 10⁻⁸·max(‖x‖, 1) (solve/located.hpp). A small residual alone locates nothing: exp(x) = 0
/// steps by −1 forever, its residual underflowing to 0 with J; that ends as SolveStop::Asymptote
/// (or at the iteration limit), never as a root, and so does a start where exp(x) has already
/// underflowed to 0. Levenberg–Marquardt's steps are held to the same rule; Newton–Krylov finds
/// the correction by GMRES (its file says how it judges J's regularity).
#pragma once

#include <Eigen/Core>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../autodiff/sparse/sparse_jacobian.hpp"
#include "least_squares.hpp"
#include "solve/dense_system.hpp"
#include "solve/dogleg.hpp"
#include "solve/newton_krylov.hpp"
#include "solve/newton_line_search.hpp"
#include "solve/recorded_equations.hpp"
#include "solve/recorded_system.hpp"
#include "solve/solve_options.hpp"
#include "solve/sparse_system.hpp"

namespace tapegrad::optim {

namespace detail {

inline void check_solve_options(const SolveOptions& o) {
  if (!(o.tolerance >= 0)) throw Error("solve: tolerance = ", o.tolerance, " (must be at least 0)");
  if (!(o.trust_radius_factor > 0) || !std::isfinite(o.trust_radius_factor))
    throw Error("solve: trust_radius_factor = ", o.trust_radius_factor, " (must be finite and above 0)");
  if (o.krylov_restart < 1)
    throw Error("solve: krylov_restart = ", o.krylov_restart, " (must be at least 1)");
  if (o.krylov_max_iterations < 1)
    throw Error("solve: krylov_max_iterations = ", o.krylov_max_iterations, " (must be at least 1)");
  if (o.krylov_preconditioner_reuse < 1)
    throw Error("solve: krylov_preconditioner_reuse = ", o.krylov_preconditioner_reuse,
                " (must be at least 1)");
  if (o.method == SolveMethod::NewtonKrylov && o.jacobian != JacobianStorage::Auto)
    throw Error("solve: method newton-krylov forms no Jacobian, so jacobian storage must be auto, not ",
                name_of(o.jacobian, enum_names(JacobianStorage{})));
}

// Whether Auto may solve by Newton–Krylov: only when neither the method nor J's storage was
// asked for (a dense or sparse J asked for is a matrix to factor), and F's recording sweeps
// forward.
inline bool krylov_possible(const SolveOptions& o, bool sweepable) {
  return o.method == SolveMethod::Auto && o.jacobian == JacobianStorage::Auto && sweepable;
}

// Whether Auto stores the J of n unknowns dense after all, its pattern found with `nonzeros`:
// a pattern that full gains nothing from sparse storage, up to the size a dense J may take.
inline bool dense_by_density(std::size_t n, std::size_t nonzeros) {
  const double entries = static_cast<double>(n) * static_cast<double>(n);
  return n <= solve_dense_at_most && static_cast<double>(nonzeros) > solve_dense_above_density * entries;
}

// Newton or Dogleg on a system with a Jacobian matrix, from x where F(x) = r.
template <class F, class System>
SolveResult solve_with_matrix(F& equations, System& system, const Eigen::VectorXd& x,
                              const Eigen::VectorXd& r, const SolveOptions& options) {
  system.jacobian_at(x);
  if (options.method == SolveMethod::Dogleg) return dogleg(system, x, r, options);
  return newton_line_search(equations, system, x, r, options);
}

}  // namespace detail

/// A root of the n equations `equations` (a span of n Vars → a std::vector of n Vars) from `x0`, by the
/// method and Jacobian storage `options` ask for, Auto choosing by the size of the system (see solve.hpp).
/// Does not throw when no root is found: the result's reason says why and x is the point of smallest ‖F‖
/// found (every method takes only steps that lower it). Throws tapegrad::Error for no unknowns, equations
/// that return a count other than n or a Var of another tape, an option out of range, or method newton-krylov
/// on equations that record a tensor operation. Example: \snippet test_doc_examples.cpp solve
template <class F>
SolveResult solve(F&& equations, std::span<const double> x0, const SolveOptions& options = {}) {
  using Equations = std::remove_reference_t<F>;
  const auto n = static_cast<Eigen::Index>(x0.size());
  if (n == 0) throw Error("solve: no unknowns");
  detail::check_solve_options(options);
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n);
  // F at the start: the count of equations, what Auto looks at, and the recording the
  // method's first J is swept from.
  detail::RecordedEquations<Equations> recorded(equations, n);
  Eigen::VectorXd r;
  recorded.record(x, r);
  if (!r.allFinite()) {
    SolveResult result;
    result.method = to_string(options.method == SolveMethod::Auto ? SolveMethod::Newton : options.method);
    result.evaluations = 1;
    result.x.assign(x0.begin(), x0.end());
    result.residual_norm = r.norm();
    result.reason = SolveStop::NotFinite;
    return result;
  }
  const auto size = static_cast<std::size_t>(n);
  const bool krylov_possible = detail::krylov_possible(options, recorded.sweepable());
  // F recorded by the sparse pattern's search: an evaluation of its own.
  long pattern_evaluations = 0;
  const auto by_krylov = [&] {
    detail::RecordedSystem<Equations> system(recorded);
    system.check_sweepable();
    SolveResult result = detail::newton_krylov(system, x, r, options);
    result.evaluations += pattern_evaluations;
    return result;
  };
  if (options.method == SolveMethod::NewtonKrylov || (krylov_possible && size > solve_krylov_above_unknowns))
    return by_krylov();

  if (options.jacobian == JacobianStorage::Sparse ||
      (options.jacobian == JacobianStorage::Auto && size > solve_dense_up_to)) {
    SparseJacobianOptions sparse_options;
    if (krylov_possible) sparse_options.max_nonzeros = solve_krylov_above_nonzeros;
    std::optional<SparseJacobian> jacobian;
    pattern_evaluations = 1;
    try {
      jacobian.emplace(detail::by_reference(equations), x0, sparse_options);
    } catch (const Error& e) {
      // More nonzeros than a factorization should take on: Newton–Krylov needs none.
      if (!krylov_possible || !detail::too_many_nonzeros(e)) throw;
      return by_krylov();
    }
    if (options.jacobian == JacobianStorage::Sparse ||
        !detail::dense_by_density(size, jacobian->pattern().nonzeros())) {
      detail::SparseSystem<Equations> system(recorded, std::move(*jacobian));
      return detail::solve_with_matrix(equations, system, x, r, options);
    }
  }
  detail::DenseSystem<Equations> system(recorded);
  SolveResult result = detail::solve_with_matrix(equations, system, x, r, options);
  result.evaluations += pattern_evaluations;
  return result;
}
/// solve() with the starting point as a std::vector.
template <class F>
SolveResult solve(F&& equations, const std::vector<double>& x0, const SolveOptions& options = {}) {
  return solve(equations, std::span<const double>(x0), options);
}

}  // namespace tapegrad::optim
