/// \file
/// Line-search Newton-CG, or truncated Newton (Nocedal & Wright, Numerical Optimization,
/// 2nd ed., Algorithm 7.1): the Newton system H p = −g is solved only approximately, by
/// conjugate gradients on Hessian-vector products, stopped when the residual falls to
/// η‖g‖ with the forcing term η = min(forcing, √‖g‖) (superlinear convergence), or when
/// a direction of non-positive curvature appears (then the iterate so far, or −g, scaled,
/// on the first CG iteration: always a descent direction). A line search from the full
/// step follows. It never forms the Hessian, so it scales to many parameters: each CG
/// iteration is one product, about two to three gradients' work.
///
/// The one departure from the book: forcing defaults to 0.01, not 0.5. With 0.5, one CG
/// iteration already meets the test in a curved valley (the gradient lies along the
/// stiff direction) and the step barely moves along the valley: Rosenbrock from
/// (−1.2, 1) takes 74 steps and from (−1.5, 2) 174; with 0.01, 23 and 24 (Newton: 22
/// and 23), for a few more products per step. Set forcing = 0.5 for the textbook method.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "second_order_optimizer.hpp"

namespace tapegrad::optim {

/// The options of NewtonCg.
struct NewtonCgOptions {
  double lr = 1;  ///< the first step length tried (1: the Newton step)
  /// How the step length is chosen along the direction.
  StepSearch line_search = StepSearch::StrongWolfe;
  int max_cg_iter = 0;    ///< conjugate-gradient iterations per step at most; 0: 20·n, as scipy
  double forcing = 0.01;  ///< the cap on the forcing term η (the book: 0.5; see above)

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("line_search", o.line_search), v("max_cg_iter", o.max_cg_iter), v("forcing", o.forcing);
  }
};

/// Truncated Newton (Newton-CG, Nocedal & Wright's Algorithm 7.1, as scipy's method="Newton-CG"): conjugate
/// gradients on H·p = −g, stopped at the forcing tolerance or at the first direction of non-positive
/// curvature, using Hessian-vector products only (each one about the cost of two gradients), then a line
/// search. For many parameters, where Newton's dense Hessian is too dear.
class NewtonCg : public SecondOrderOptimizer<NewtonCg, NewtonCgOptions> {
 public:
  /// The name in messages and state_dict() keys.
  static constexpr const char* name = "NewtonCg";
  /// The optimizer's name on the command line (`--optimizer newton-cg`).
  static constexpr const char* command_line_name = "newton-cg";
  using SecondOrderOptimizer::step;

  /// Optimizes all of `parameters` as one flat vector.
  NewtonCg(std::vector<ParameterRef> parameters, NewtonCgOptions options = {})
      : SecondOrderOptimizer(std::move(parameters), options) {}
  /// Throws tapegrad::Error naming the option out of range.
  static void validate(const NewtonCgOptions& o) {
    require(o.lr > 0, name, "lr", o.lr, "must be > 0");
    require(o.max_cg_iter >= 0, name, "max_cg_iter", o.max_cg_iter, "must be >= 0 (0: 20·n)");
    require(o.forcing > 0 && o.forcing < 1, name, "forcing", o.forcing, "must be in (0, 1)");
  }

  /// The truncated-Newton direction at gradient `g` (what SecondOrderOptimizer asks of a method).
  Eigen::VectorXd direction(const Curvature& curvature, const Eigen::VectorXd& g) {
    return truncated_newton_direction(curvature, g);
  }

 private:
  // Algorithm 7.1's inner loop (z: the iterate, r: the residual H z + g, d: the
  // search direction).
  Eigen::VectorXd truncated_newton_direction(const Curvature& curvature, const Eigen::VectorXd& g) {
    const Eigen::Index n = g.size();
    const double g_norm = g.norm();
    const double tolerance = std::min(options_.forcing, std::sqrt(g_norm)) * g_norm;
    const long max_iter = options_.max_cg_iter > 0 ? options_.max_cg_iter : 20 * static_cast<long>(n);
    Eigen::VectorXd z = Eigen::VectorXd::Zero(n), r = g, d = -g, hd(n);
    double rr = r.squaredNorm();
    for (long j = 0; j < max_iter; ++j) {
      curvature.hessian_vector_product(d, hd);
      products_ += 1;
      const double dhd = d.dot(hd);
      if (!(dhd > 0)) {  // non-positive curvature along d (or NaN)
        indefinite_steps_ += 1;
        if (j > 0) return z;
        // Steepest descent, scaled as scipy's Newton-CG does (by ‖g‖²/|gᵀHg|) so that
        // the line search's first trial, a step of 1, has the length of a Newton step
        // along −g rather than ‖g‖.
        const double scale = std::isfinite(dhd) && dhd != 0 ? rr / std::abs(dhd) : 1.0;
        return -scale * g;
      }
      const double alpha = rr / dhd;
      z += alpha * d;
      r += alpha * hd;
      const double rr_next = r.squaredNorm();
      if (std::sqrt(rr_next) <= tolerance) return z;
      d = -r + (rr_next / rr) * d;
      rr = rr_next;
    }
    // Out of iterations: the iterate so far, a descent direction once it has moved.
    return z.isZero(0) ? Eigen::VectorXd(-g) : z;
  }
};

}  // namespace tapegrad::optim
