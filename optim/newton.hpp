/// \file
/// Newton's method with a line search and a modified Hessian (Nocedal & Wright,
/// Numerical Optimization, 2nd ed., Algorithm 3.2 with Algorithm 3.3): each step solves
/// (H + τI) p = −g, with τ = 0 when the Cholesky factorization of H succeeds and
/// otherwise the smallest of τ₀, 2τ₀, 4τ₀, … (τ₀ = max(β − min Hᵢᵢ, β), β = min_curvature)
/// for which it does, so p is always a descent direction; then a line search from the
/// full step lr = 1. Near a minimum with positive definite Hessian the step is the
/// Newton step and convergence is quadratic. Costs a dense Hessian (n Hessian-vector
/// products) and an n³/3 factorization per step: for many parameters use NewtonCg.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <utility>
#include <vector>

#include "second_order_optimizer.hpp"

namespace tapegrad::optim {

/// The options of Newton.
struct NewtonOptions {
  double lr = 1;  ///< the first step length tried (1: the Newton step)
  /// How the step length is chosen along the Newton direction.
  StepSearch line_search = StepSearch::StrongWolfe;
  double min_curvature = 1e-3;  ///< β of Algorithm 3.3

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("line_search", o.line_search), v("min_curvature", o.min_curvature);
  }
};

/// Newton's method with the Hessian modification of Nocedal & Wright's Algorithm 3.3: the direction −(H +
/// τI)⁻¹g with the smallest τ ≥ 0 that makes H + τI positive definite (Cholesky), then a line search. Each
/// step costs a dense Hessian (n Hessian-vector products, forward over reverse) and an O(n³) factorization:
/// for a few hundred parameters at most; NewtonCg needs only products.
/// Example: \snippet test_doc_examples.cpp newton
class Newton : public SecondOrderOptimizer<Newton, NewtonOptions> {
 public:
  /// The name in messages and state_dict() keys.
  static constexpr const char* name = "Newton";
  using SecondOrderOptimizer::step;

  /// Optimizes all of `parameters` as one flat vector.
  Newton(std::vector<ParameterRef> parameters, NewtonOptions options = {})
      : SecondOrderOptimizer(std::move(parameters), options) {}
  /// Throws tapegrad::Error naming the option out of range (lr and min_curvature must be > 0).
  static void validate(const NewtonOptions& o) {
    require(o.lr > 0, name, "lr", o.lr, "must be > 0");
    require(o.min_curvature > 0, name, "min_curvature", o.min_curvature, "must be > 0");
  }

  /// The modified Newton direction at gradient `g` (what SecondOrderOptimizer asks of a method).
  Eigen::VectorXd direction(const Curvature& curvature, const Eigen::VectorXd& g) {
    products_ += g.size();
    return modified_newton_direction(curvature.hessian(), g);
  }

 private:
  // −(H + τI)⁻¹ g with the smallest τ of Algorithm 3.3 that makes H + τI positive
  // definite (τ = 0 when H already is).
  Eigen::VectorXd modified_newton_direction(const Eigen::MatrixXd& h, const Eigen::VectorXd& g) {
    const double beta = options_.min_curvature;
    const double min_diagonal = h.diagonal().minCoeff();
    double tau = min_diagonal > 0 ? 0 : beta - min_diagonal;
    const Eigen::Index n = h.rows();
    for (int attempt = 0; attempt < 200; ++attempt) {
      Eigen::LLT<Eigen::MatrixXd> cholesky(h + tau * Eigen::MatrixXd::Identity(n, n));
      if (cholesky.info() == Eigen::Success) {
        if (tau > 0) indefinite_steps_ += 1;
        return -cholesky.solve(g);
      }
      tau = std::max(2 * tau, beta);
    }
    // H is not finite (τ doubled 200 times): steepest descent; the line search and
    // minimize()'s finiteness check take it from there.
    return -g;
  }
};

}  // namespace tapegrad::optim
