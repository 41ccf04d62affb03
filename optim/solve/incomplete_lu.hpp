/// \file
/// A preconditioner for solve()'s Newton–Krylov method (SolveOptions::preconditioner): an
/// incomplete LU of F's Jacobian, which is what `tapegrad solve --preconditioner ilu` uses.
#pragma once

#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCore>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "../../autodiff/sparse/sparse_jacobian.hpp"
#include "../linear/gmres.hpp"

namespace tapegrad::optim {

/// SolveOptions::preconditioner from F (the function given to solve()): at an iterate x, J(x) from
/// its sparsity pattern and column coloring (SparseJacobian, found at the first iterate it is asked
/// for and reused), then Saad's ILUT of it (Eigen::IncompleteLUT, its default drop tolerance and
/// fill factor), which GMRES applies on the right. J's nonzeros and the factors' are stored: a few
/// times J's count, far less than a complete LU's fill on a grid; and GMRES then needs tens of
/// products a step on a grid's equations where it needs thousands without (the Bratu problem on
/// 300×300: 312 products over 4 steps). A zero pivot leaves the steps it would serve
/// unpreconditioned (GMRES is right either way, only slower).
///
/// A larger drop tolerance or a smaller fill factor made each product cheaper but cost more
/// than it saved on that problem: 1e-2 took 860 products, a fill factor of 2 took 4841.
template <class F>
std::function<KrylovPreconditioner(std::span<const double>)> incomplete_lu_preconditioner(
    F f, SparseJacobianOptions options = {}) {
  auto jacobian = std::make_shared<std::optional<SparseJacobian>>();
  return [f = std::move(f), options, jacobian](std::span<const double> x) -> KrylovPreconditioner {
    if (!*jacobian) jacobian->emplace(f, x, options);
    auto ilu = std::make_shared<Eigen::IncompleteLUT<double>>();
    ilu->compute((*jacobian)->at(x));
    if (ilu->info() != Eigen::Success) return {};
    return [ilu](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = ilu->solve(r); };
  };
}

}  // namespace tapegrad::optim
