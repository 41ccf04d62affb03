/// \file
/// Implicit differentiation: x*(θ) defined by F(x*, θ) = 0 joins a larger graph as Vars
/// on the active tape whose derivatives are those of the implicit function theorem,
///   dx*/dθ = −(∂F/∂x)⁻¹ ∂F/∂θ   at (x*, θ),
/// never a derivative through solve()'s iterations (which would be slow, and wrong
/// wherever the iterations stopped early). ∂F/∂x and ∂F/∂θ come from one recording of
/// F at the root; one LU factorization of ∂F/∂x gives every partial.
///
/// F takes two spans of Vars (x, then θ) and returns a std::vector of n Vars.
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/scalar/custom_op.hpp"
#include "../autodiff/scalar/gradient.hpp"
#include "solve.hpp"

namespace tapegrad::optim {

/// The root x*(θ) of `equations` F(x, θ) = 0 as Vars on the active tape, whose derivatives with respect to
/// `theta` are those of the implicit function theorem (see implicit.hpp). Solves with solve() from `x0`;
/// throws tapegrad::Error when it does not converge, or when ∂F/∂x is singular at the root. Costs one solve,
/// one recording of F at the root and one LU factorization of the n×n ∂F/∂x.
template <class F>
std::vector<Var> implicit_solve(F&& equations, std::span<const Var> theta, std::span<const double> x0,
                                const SolveOptions& options = {}) {
  const std::size_t n = x0.size(), p = theta.size();
  std::vector<double> theta_values(p);
  for (std::size_t k = 0; k < p; ++k) theta_values[k] = theta[k].value();

  SolveResult root;
  Eigen::MatrixXd partials;  // n×p: dx*/dθ
  {
    // The root and the Jacobians at it, on tapes of their own (scoped: the caller's
    // tape records again afterwards).
    root = solve(
        [&](std::span<const Var> x) {
          const std::vector<Var> th(theta_values.begin(), theta_values.end());
          return equations(x, std::span<const Var>(th));
        },
        x0, options);
    if (!root.converged())
      throw Error("implicit_solve: no root found (" + std::string(to_string(root.reason)) +
                  ", |F| = " + std::to_string(root.residual_norm) + " after " +
                  std::to_string(root.iterations) + " iterations)");
    Tape tape;
    std::vector<Var> all;
    all.reserve(n + p);
    for (double v : root.x) all.emplace_back(v);
    for (double v : theta_values) all.emplace_back(v);
    const std::span<const Var> xs(all.data(), n), ths(all.data() + n, p);
    std::vector<Var> fs;
    for (const auto& f : equations(xs, ths)) fs.emplace_back(f);
    const Eigen::MatrixXd j = jacobian(std::span<const Var>(fs), std::span<const Var>(all));
    const Eigen::PartialPivLU<Eigen::MatrixXd> lu(j.leftCols(static_cast<Eigen::Index>(n)));
    if (!(std::abs(lu.determinant()) > 0))
      throw Error("implicit_solve: ∂F/∂x is singular at the root: x*(θ) is not differentiable there");
    partials = -lu.solve(j.rightCols(static_cast<Eigen::Index>(p)));
  }
  std::vector<Var> out;
  out.reserve(n);
  std::vector<double> row(p);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < p; ++k)
      row[k] = partials(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
    out.push_back(custom_op(root.x[i], theta, std::span<const double>(row)));
  }
  return out;
}
/// implicit_solve() with θ and the starting point as std::vectors.
template <class F>
std::vector<Var> implicit_solve(F&& equations, const std::vector<Var>& theta, const std::vector<double>& x0,
                                const SolveOptions& options = {}) {
  return implicit_solve(equations, std::span<const Var>(theta), std::span<const double>(x0), options);
}

}  // namespace tapegrad::optim
