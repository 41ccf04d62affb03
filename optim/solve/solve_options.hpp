/// \file
/// What solve() (optim/solve.hpp) is asked and what it answers: the methods it has, its
/// options, why it stopped and its result. Apart from solve() itself so that each method's
/// file (optim/solve/…) can take them without the others.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../../autodiff/support/enum_names.hpp"
#include "../jacobian_storage.hpp"
#include "../linear/gmres.hpp"

namespace tapegrad::optim {

/// How solve() steps. See optim/solve.hpp for each method and for how Auto chooses.
enum class SolveMethod {
  Auto,  ///< Newton with its line search, or Newton–Krylov for systems too large to factor
  Newton,  ///< Newton's method with a line search on ½‖F‖², then Levenberg–Marquardt where it cannot go on
  Dogleg,  ///< Powell's dogleg in a trust region on the Gauss–Newton model of ½‖F‖² (MINPACK's hybrj)
  NewtonKrylov  ///< inexact Newton, GMRES on exact J·v products, no matrix formed
};
/// The names of SolveMethod's values, for the command line and in results.
constexpr EnumNames<SolveMethod, 4> enum_names(SolveMethod) {
  return {{{SolveMethod::Auto, "auto"},
           {SolveMethod::Newton, "newton"},
           {SolveMethod::Dogleg, "dogleg"},
           {SolveMethod::NewtonKrylov, "newton-krylov"}}};
}
/// The name of `m`.
inline const char* to_string(SolveMethod m) { return name_of(m, enum_names(SolveMethod{})); }

/// Auto stores J dense up to this many unknowns and sparse above. Measured with UMFPACK on the Bratu problem
/// (five-point stencil): dense and sparse Newton took the same time on the 8×8 grid (n = 64), sparse was 1.4×
/// as fast at n = 100 and 5× at n = 256; on the Broyden tridiagonal system sparse was already 1.8× as fast at
/// n = 50. Below it the pattern and its coloring cost more than they save.
inline constexpr std::size_t solve_dense_up_to = 64;
/// Auto stores J dense above solve_dense_up_to unknowns too when the pattern has more than this fraction of
/// n² nonzeros (and n is at most solve_dense_at_most): banded systems of n = 200 and 400 took the same time
/// dense and sparse at about this density (pattern and coloring included), and twice as long sparse at half
/// full.
inline constexpr double solve_dense_above_density = 0.2;
/// Auto stores J dense for at most this many unknowns, however full its pattern: n² doubles are 128 MB here,
/// and a denser pattern above it is factored sparse (or, past solve_krylov_above_nonzeros, not at all).
inline constexpr std::size_t solve_dense_at_most = 4096;
/// Auto solves by Newton–Krylov instead of sparse LU above this many unknowns: at n = 10⁶ (the Bratu problem
/// on a 1000×1000 grid, 5·10⁶ nonzeros) Newton with UMFPACK took 108 s and 1.8 GB, each factorization 22 s,
/// and a grid in three dimensions fills its factors far more. Newton–Krylov then needs a preconditioner to be
/// fast (SolveOptions::preconditioner): with one, the same problem took 9 s; without, GMRES's iterations grow
/// with the grid (5·10³ per solve at n = 10⁴).
inline constexpr std::size_t solve_krylov_above_unknowns = 1'000'000;
/// Auto solves by Newton–Krylov instead of sparse LU when J has more nonzeros than this (before fill-in).
inline constexpr std::size_t solve_krylov_above_nonzeros = 50'000'000;

/// The options of solve().
struct SolveOptions {
  double tolerance = 1e-12;  ///< a root has ‖F(x)‖₂ at most this (and is located: see solve.hpp)
  /// Steps at most, of every method together: Newton steps, dogleg trial steps (rejected ones included),
  /// Levenberg–Marquardt steps, Newton–Krylov steps.
  long max_iterations = 200;
  /// How to step; Auto as described in solve.hpp.
  SolveMethod method = SolveMethod::Auto;
  /// How J is stored for Newton and Dogleg (and the Levenberg–Marquardt hand-over). Auto: dense up to
  /// solve_dense_up_to unknowns, sparse above (pattern and coloring found once per solve) unless the pattern
  /// is fuller than solve_dense_above_density. Newton–Krylov forms no J and takes only Auto.
  JacobianStorage jacobian = JacobianStorage::Auto;

  /// Dogleg: the first trust radius is this times ‖D x₀‖ (D the scaling of the variables), or this itself
  /// when that is 0 (MINPACK's `factor`).
  double trust_radius_factor = 100;

  /// Newton–Krylov: GMRES's restart length (Arnoldi vectors kept: n·(restart + 1) doubles).
  int krylov_restart = 30;
  /// Newton–Krylov: GMRES iterations (J·v products) at most per Newton step.
  long krylov_max_iterations = 1000;
  /// Newton–Krylov: a preconditioner for the Newton iterate x. Called with x (the point whose J the next
  /// GMRES solve has) when one is due (see krylov_preconditioner_reuse), it returns the hook GMRES applies as
  /// z ≈ M⁻¹ r (right preconditioning, M ≈ J(x)); so what depends on x (a factorization of an approximate J)
  /// is built once for several steps, not once per product. Empty: no preconditioner.
  std::function<KrylovPreconditioner(std::span<const double> x)> preconditioner = {};
  /// Newton–Krylov: one preconditioner serves at most this many Newton steps (1: a new one at every iterate).
  /// One that was built at an earlier iterate and leaves GMRES short of its tolerance is replaced at once and
  /// the step solved again (SUNDIALS KINSOL's rule, whose `msbset` is this number and 10 by default). Right
  /// preconditioning keeps the answer's accuracy whatever M is, so an old M costs only GMRES iterations: on
  /// the Bratu grid (a J that changes by a diagonal) the first incomplete LU served all 4 steps with as many
  /// products as new ones at each (312 on 300×300), and the command line's solve took 5.6 s, not 8.0.
  long krylov_preconditioner_reuse = 10;
};

/// Converged: ‖F‖ ≤ tolerance at a located point (see solve.hpp). Stalled: no method moves x any more
/// (typically a local minimum of ‖F‖ that is not a root). NotFinite: F became NaN or infinite everywhere the
/// methods tried.
enum class SolveStop {
  Converged,      ///< ‖F‖₂ ≤ tolerance at a located point
  Stalled,        ///< no method moves x any more
  MaxIterations,  ///< SolveOptions::max_iterations steps were made
  NotFinite,      ///< F became NaN or infinite everywhere the methods tried
  Asymptote       ///< ‖F‖ within the tolerance where J is singular and no root is located
};
/// The words for each SolveStop, in messages and the command line's output.
inline constexpr EnumNames<SolveStop, 5> solve_stop_names = {
    {{SolveStop::Converged, "converged"},
     {SolveStop::Stalled, "stalled: no step lowers the residual (a minimum of |F| that is not a root?)"},
     {SolveStop::MaxIterations, "iteration limit"},
     {SolveStop::NotFinite, "F is not finite"},
     {SolveStop::Asymptote,
      "the residual is within the tolerance only where J is singular and no root is located (the "
      "equations approach a root they never reach, or their values underflow to 0)"}}};
/// The words for `s`.
inline const char* to_string(SolveStop s) { return name_of(s, solve_stop_names); }

/// What solve() returns.
struct SolveResult {
  std::vector<double> x;     ///< the root, or the point of smallest ‖F‖ found
  double residual_norm = 0;  ///< ‖F(x)‖₂
  long iterations = 0;       ///< steps of every method together (as SolveOptions::max_iterations counts them)
  /// Why it stopped.
  SolveStop reason = SolveStop::MaxIterations;
  /// The methods that ran, in order: "newton", "dogleg", "newton-krylov", "levenberg-marquardt", or
  /// "newton, then levenberg-marquardt".
  std::string method;
  /// How the linear systems were solved: "dense QR", "sparse LU (<library>)", "GMRES(<restart>)", with
  /// "dense"/"sparse" also naming how J was stored.
  std::string linear_solver;
  /// Evaluations of F at a point: recordings, and the sparse Jacobian's replays of its recording (those that
  /// gave J too included).
  long evaluations = 0;
  long jacobian_evaluations = 0;  ///< points where J was evaluated (Newton–Krylov: recordings swept for J·v)
  long linear_iterations = 0;  ///< GMRES iterations (J·v products) over all Newton–Krylov steps; 0 otherwise
  long preconditioner_setups = 0;  ///< calls of SolveOptions::preconditioner (Newton–Krylov); 0 otherwise
  /// True when x is a root: ‖F(x)‖₂ ≤ tolerance at a located point.
  bool converged() const { return reason == SolveStop::Converged; }
};

namespace detail {

// The end of a solve at x with ‖F(x)‖ = residual_norm; the counts come from the system the
// method ran on.
template <class System>
SolveResult finish_solve(SolveResult& result, const System& system, const Eigen::VectorXd& x,
                         SolveStop reason, double residual_norm) {
  result.x.assign(x.data(), x.data() + x.size());
  result.residual_norm = residual_norm;
  result.reason = reason;
  result.evaluations += system.evaluations();
  result.jacobian_evaluations += system.jacobian_evaluations();
  return result;
}

}  // namespace detail

}  // namespace tapegrad::optim
