/// \file
/// Restarted GMRES (Saad & Schultz, SIAM J. Sci. Stat. Comput. 7, 1986) for A x = b with A known
/// only through its products A·v, so a Jacobian never has to be formed: Newton–Krylov
/// (optim/solve/newton_krylov.hpp) feeds it exact J·v products swept over a recording.
///
/// Each cycle builds an orthonormal basis of the Krylov space of A M⁻¹ by modified
/// Gram–Schmidt (Arnoldi), keeps the Hessenberg matrix triangular with Givens rotations, so
/// the residual's norm is known after every product without forming x, and restarts from
/// the true residual b − A x after `restart` products. The preconditioner M is applied on
/// the right (A M⁻¹ u = b, x = M⁻¹ u): the residual GMRES minimizes is then b − A x itself,
/// and the tolerance means the same with and without M.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <functional>

#include "../../autodiff/support/error.hpp"

namespace tapegrad::optim {

/// z ≈ M⁻¹ r: a preconditioner for GMRES, applied on the right. `z` arrives sized as `r`.
using KrylovPreconditioner = std::function<void(const Eigen::VectorXd& r, Eigen::VectorXd& z)>;

/// The options of gmres().
struct GmresOptions {
  /// Stop when ‖b − A x‖ ≤ tolerance·‖b‖.
  double tolerance = 1e-8;
  /// Arnoldi vectors kept before a restart: the m of GMRES(m), n·(m + 1) doubles of memory.
  int restart = 30;
  /// Products with A (Arnoldi steps) at most, over all cycles; the true residual each cycle ends with is not
  /// counted.
  long max_iterations = 1000;
};

/// What gmres() returns.
struct GmresResult {
  Eigen::VectorXd x;             ///< the approximate solution (0 when b = 0)
  long iterations = 0;           ///< Arnoldi steps: one product with A and one application of M⁻¹ each
  long cycles = 0;               ///< Arnoldi cycles started (restarts + 1, or 0 when b = 0)
  double relative_residual = 0;  ///< ‖b − A x‖ / ‖b‖ recomputed from x at the end (0 when b = 0)
  /// True when relative_residual ≤ the tolerance.
  bool converged = false;
};

/// Solves A x = b by restarted GMRES from x = 0 (see gmres.hpp). `a(v, out)` writes A·v into `out` (sized
/// as b); `preconditioner`, when not empty, writes z ≈ M⁻¹ r. Stops when the residual is within the
/// tolerance, after max_iterations products, or when the Krylov space stops growing (a breakdown: the
/// solution is then exact, or the best the space holds for a singular A, and another cycle would find no
/// more). Does not throw for a system it cannot solve: `converged` and `relative_residual` say how far it
/// got. Throws tapegrad::Error for an option out of range or a b that is not finite.
template <class Operator>
GmresResult gmres(Operator&& a, const Eigen::VectorXd& b, const GmresOptions& options = {},
                  const KrylovPreconditioner& preconditioner = {}) {
  if (options.restart < 1) throw Error("gmres: restart = ", options.restart, " (must be at least 1)");
  if (options.max_iterations < 0)
    throw Error("gmres: max_iterations = ", options.max_iterations, " (must be at least 0)");
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance))
    throw Error("gmres: tolerance = ", options.tolerance, " (must be finite and at least 0)");
  for (Eigen::Index i = 0; i < b.size(); ++i)
    if (!std::isfinite(b(i))) throw Error("gmres: b(", i, ") = ", b(i), " is not finite");

  const Eigen::Index n = b.size();
  GmresResult result;
  result.x = Eigen::VectorXd::Zero(n);
  const double b_norm = b.norm();
  if (b_norm == 0) {
    result.converged = true;
    return result;
  }
  const double target = options.tolerance * b_norm;
  const auto m = static_cast<Eigen::Index>(std::min<long>(options.restart, std::max<Eigen::Index>(n, 1)));
  Eigen::MatrixXd v(n, m + 1);                          // the Arnoldi basis
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(m + 1, m);  // Hessenberg, made triangular in place
  Eigen::VectorXd cs(m), sn(m), g(m + 1), w(n), z(n);
  const auto apply_m = [&](const Eigen::VectorXd& r, Eigen::VectorXd& out) {
    if (preconditioner) {
      out.resize(n);
      preconditioner(r, out);
    } else {
      out = r;
    }
  };

  Eigen::VectorXd r = b;  // x = 0
  double beta = b_norm;
  for (;;) {
    if (beta <= target || result.iterations >= options.max_iterations) break;
    ++result.cycles;
    v.col(0) = r / beta;
    g.setZero();
    g(0) = beta;
    h.setZero();
    Eigen::Index k = 0;  // columns of h in use
    bool breakdown = false;
    while (k < m && result.iterations < options.max_iterations) {
      apply_m(v.col(k), z);
      a(z, w);
      ++result.iterations;
      const double w_norm = w.norm();
      for (Eigen::Index i = 0; i <= k; ++i) {
        h(i, k) = v.col(i).dot(w);
        w -= h(i, k) * v.col(i);
      }
      h(k + 1, k) = w.norm();
      // The new vector is (numerically) in the space already built: A's Krylov space is
      // invariant, and the least-squares solution over it is final.
      breakdown = !(h(k + 1, k) > 1e-14 * w_norm);
      if (!breakdown) v.col(k + 1) = w / h(k + 1, k);
      for (Eigen::Index i = 0; i < k; ++i) {
        const double t = cs(i) * h(i, k) + sn(i) * h(i + 1, k);
        h(i + 1, k) = -sn(i) * h(i, k) + cs(i) * h(i + 1, k);
        h(i, k) = t;
      }
      const double rho = std::hypot(h(k, k), h(k + 1, k));
      cs(k) = rho > 0 ? h(k, k) / rho : 1.0;
      sn(k) = rho > 0 ? h(k + 1, k) / rho : 0.0;
      h(k, k) = rho;
      h(k + 1, k) = 0;
      g(k + 1) = -sn(k) * g(k);
      g(k) = cs(k) * g(k);
      ++k;
      if (breakdown || std::abs(g(k)) <= target) break;
    }
    // y minimizes ‖g − R y‖ over the k columns: back substitution, or for a singular R
    // (a singular A) the least-squares solution of smallest norm.
    const auto rk = h.topLeftCorner(k, k);
    const double r_max = rk.diagonal().cwiseAbs().maxCoeff();
    Eigen::VectorXd y;
    if (rk.diagonal().cwiseAbs().minCoeff() > 1e-14 * r_max)
      y = rk.triangularView<Eigen::Upper>().solve(g.head(k));
    else
      y = Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>(
              rk.triangularView<Eigen::Upper>().toDenseMatrix())
              .solve(g.head(k));
    apply_m(v.leftCols(k) * y, z);
    result.x += z;
    a(result.x, w);
    r = b - w;
    const double previous = beta;
    beta = r.norm();
    // A breakdown leaves nothing for another cycle to find unless the rounding of this
    // one did (the recomputed residual above the estimate).
    if (breakdown && !(beta < 0.5 * previous)) break;
  }
  result.relative_residual = beta / b_norm;
  result.converged = beta <= target;
  return result;
}

}  // namespace tapegrad::optim
