/// \file
/// Newton's method with a line search and a modified Hessian (Nocedal & Wright,
/// Numerical Optimization, 2nd ed., Algorithm 3.2 with Algorithm 3.3): each step solves
/// (H + τI) p = −g, with τ = 0 when the Cholesky factorization of H succeeds and
/// otherwise the smallest of τ₀, 2τ₀, 4τ₀, … (τ₀ = max(β − min Hᵢᵢ, β), β = min_curvature)
/// for which it does, so p is always a descent direction; then a line search from the
/// full step lr = 1. Near a minimum with positive definite Hessian the step is the
/// Newton step and convergence is quadratic.
///
/// H is dense (n Hessian-vector products and an n³/3 factorization per step) or sparse:
/// its pattern found and colored once per run (autodiff/sparse/sparse_hessian.hpp), then
/// one product per color at each step and a sparse Cholesky factorization (CHOLMOD, or
/// Eigen's SimplicialLLT: linear/sparse_cholesky.hpp) whose ordering is computed once per
/// run. HessianStorage::Auto chooses by the size and the pattern; chained Rosenbrock takes
/// 3 products a step at any n, where the dense Hessian takes n.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cstddef>
#include <memory>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "../autodiff/sparse/sparse_hessian.hpp"
#include "../autodiff/support/enum_names.hpp"
#include "linear/sparse_cholesky.hpp"
#include "second_order_optimizer.hpp"

namespace tapegrad::optim {

/// How Newton stores and factors the Hessian.
enum class HessianStorage {
  /// Dense up to newton_dense_up_to unknowns, or when f's Hessian has more than newton_dense_above_density ·
  /// n² nonzeros (its pattern is then not colored); sparse otherwise.
  Auto,
  Dense,  ///< an n×n matrix from n Hessian-vector products, Eigen's dense Cholesky factorization
  /// The pattern found and colored once per run, colors() products and a sparse Cholesky factorization a
  /// step.
  Sparse
};
/// The names of HessianStorage's values, for the command line.
constexpr EnumNames<HessianStorage, 3> enum_names(HessianStorage) {
  return {
      {{HessianStorage::Auto, "auto"}, {HessianStorage::Dense, "dense"}, {HessianStorage::Sparse, "sparse"}}};
}

/// HessianStorage::Auto stores the Hessian dense up to this many unknowns. Sparse costs less from about 30
/// unknowns on when the Hessian is sparse (a band of half-bandwidth 10: 3 ms against 8 ms at n = 30, 13 ms
/// against 26 ms at n = 100, whole runs), and below this size finding out that a Hessian is dense costs more
/// than the few products a sparse one would save.
inline constexpr std::size_t newton_dense_up_to = 50;
/// HessianStorage::Auto stores the Hessian dense when its pattern has more than this fraction of n² nonzeros:
/// the pattern's coloring grows faster than its nonzeros (the dense pattern of 400 unknowns took 2 s to
/// color, where a dense Newton step takes 0.02 s), and a sparse factorization whose fill makes it nearly full
/// is slower than a dense one (CHOLMOD 1.4 times, Eigen's SimplicialLLT 5 times, at n = 1000 with 10 % of the
/// entries set at random).
inline constexpr double newton_dense_above_density = 0.1;

/// The options of Newton.
struct NewtonOptions {
  double lr = 1;  ///< the first step length tried (1: the Newton step)
  /// How the step length is chosen along the Newton direction.
  StepSearch line_search = StepSearch::StrongWolfe;
  double min_curvature = 1e-3;  ///< β of Algorithm 3.3
  /// Dense or sparse Hessian (see HessianStorage); the iterates are the same to rounding.
  HessianStorage hessian = HessianStorage::Auto;

  /// Visits every option as (name, field): how state_dict(), the schedulers and the command line's flags find
  /// them.
  template <class Self, class Visit>
  static void fields(Self& o, Visit&& v) {
    v("lr", o.lr), v("line_search", o.line_search), v("min_curvature", o.min_curvature),
        v("hessian", o.hessian);
  }
};

namespace detail {
// What Newton keeps between steps for the sparse Hessian: the factorization (for its
// symbolic analysis), H's nonzeros and the matrix they are copied into, whose structure
// is built once per pattern, and the curvature that Auto found to have no sparse Hessian
// (asked no more: finding that out throws; a later run whose Curvature stands at the same
// address is taken dense too, the same iterates at n products a step). A cache, not
// state, so a copy of the optimizer starts without one (SparseCholesky does not copy).
struct NewtonSparseCache {
  std::unique_ptr<SparseCholesky> factorization;
  std::vector<double> nonzeros;         // H's nonzeros in the pattern's order
  SparsityPattern pattern;              // the pattern `hessian` has
  Eigen::SparseMatrix<double> hessian;  // column-major, as the factorization takes it
  std::vector<std::size_t> source;      // hessian.valuePtr()[k] = nonzeros[source[k]]
  const Curvature* without_sparse = nullptr;

  NewtonSparseCache() = default;
  NewtonSparseCache(const NewtonSparseCache&) {}
  NewtonSparseCache& operator=(const NewtonSparseCache&) { return *this = NewtonSparseCache(); }
  NewtonSparseCache(NewtonSparseCache&&) noexcept = default;
  NewtonSparseCache& operator=(NewtonSparseCache&&) noexcept = default;

  // H(x) from `sparse`. Its pattern is compared whole at every step (a changed branch may
  // change it, and another run's SparseHessian may stand where this one stood), a pass
  // over its indices; a new pattern's matrix is made once, through SparseHessian::matrix
  // on the nonzeros' positions, which then says where each entry of the column-major
  // matrix comes from.
  const Eigen::SparseMatrix<double>& hessian_at(SparseHessian& sparse, std::span<const double> x) {
    sparse.values(x, nonzeros);
    if (sparse.pattern() != pattern) {
      std::vector<double> position(nonzeros.size());
      std::iota(position.begin(), position.end(), 0.0);
      hessian = sparse.matrix(position);
      hessian.makeCompressed();
      source.resize(position.size());
      for (std::size_t k = 0; k < source.size(); ++k)
        source[k] = static_cast<std::size_t>(hessian.valuePtr()[k]);
      pattern = sparse.pattern();
    }
    double* value = hessian.valuePtr();
    for (std::size_t k = 0; k < source.size(); ++k) value[k] = nonzeros[source[k]];
    return hessian;
  }
};
}  // namespace detail

/// Newton's method with the Hessian modification of Nocedal & Wright's Algorithm 3.3: the direction −(H +
/// τI)⁻¹g with the smallest τ ≥ 0 of the sequence 0, τ₀, 2τ₀, … that makes H + τI positive definite
/// (Cholesky), then a line search. The Hessian is dense (n Hessian-vector products, forward over reverse,
/// and an O(n³) factorization a step) or sparse (colors() products and a sparse factorization a step), as
/// NewtonOptions::hessian says: dense suits a few hundred parameters at most, sparse any number whose
/// Hessian is sparse (10⁵ in a chained Rosenbrock). NewtonCg needs only products.
/// Example: \snippet test_doc_examples.cpp newton
class Newton : public SecondOrderOptimizer<Newton, NewtonOptions> {
 public:
  /// The name in messages and state_dict() keys.
  static constexpr const char* name = "Newton";
  using SecondOrderOptimizer::step;

  /// Optimizes all of `parameters` as one flat vector.
  Newton(std::vector<ParameterRef> parameters, NewtonOptions options = {})
      : SecondOrderOptimizer(std::move(parameters), options) {}
  /// Throws tapegrad::Error naming the option out of range (lr and min_curvature must be > 0, hessian one of
  /// HessianStorage's values).
  static void validate(const NewtonOptions& o) {
    require(o.lr > 0, name, "lr", o.lr, "must be > 0");
    require(o.min_curvature > 0, name, "min_curvature", o.min_curvature, "must be > 0");
  }

  /// The modified Newton direction at gradient `g` (what SecondOrderOptimizer asks of a method). Throws
  /// tapegrad::Error when the Hessian is to be sparse and `curvature` has no sparse form, or f's pattern
  /// cannot be found.
  Eigen::VectorXd direction(const Curvature& curvature, const Eigen::VectorXd& g) {
    const auto n = static_cast<std::size_t>(g.size());
    if (SparseHessian* sparse = sparse_hessian_for(curvature, n)) {
      const Eigen::VectorXd x = parameters_.values();
      const Eigen::SparseMatrix<double>& h =
          sparse_.hessian_at(*sparse, std::span<const double>(x.data(), n));
      // An assembled Hessian takes no products (and has no coloring to count).
      if (!sparse->from_local_hessians()) products_ += static_cast<long>(sparse->colors());
      return sparse_direction(h, g);
    }
    products_ += static_cast<long>(n);
    return dense_direction(curvature.hessian(), g);
  }

 private:
  // f's SparseHessian when this step's Hessian is to come from it, else nullptr (dense).
  // Auto leaves out patterns over newton_dense_above_density · n² (found no further than
  // that) and functions whose pattern cannot be found.
  SparseHessian* sparse_hessian_for(const Curvature& curvature, std::size_t n) {
    if (options_.hessian == HessianStorage::Dense) return nullptr;
    if (options_.hessian == HessianStorage::Sparse) {
      if (!curvature.sparse_hessian)
        throw Error("Newton: hessian = sparse, but the curvature has no sparse Hessian ",
                    "(Curvature::sparse_hessian, which minimize() sets)");
      return &curvature.sparse_hessian(default_max_nonzeros);
    }
    if (n <= newton_dense_up_to || !curvature.sparse_hessian || sparse_.without_sparse == &curvature)
      return nullptr;
    try {
      const auto most = static_cast<std::size_t>(newton_dense_above_density * static_cast<double>(n) *
                                                 static_cast<double>(n));
      return &curvature.sparse_hessian(std::min(default_max_nonzeros, most));
    } catch (const Error&) {
      sparse_.without_sparse = &curvature;
      return nullptr;
    }
  }

  // τ₀ of Algorithm 3.3 from H's smallest diagonal entry: 0 when it is positive (try H
  // itself first), else β − min Hᵢᵢ.
  double first_shift(double min_diagonal) const {
    return min_diagonal > 0 ? 0 : options_.min_curvature - min_diagonal;
  }

  // −(H + τI)⁻¹ g with the smallest τ of Algorithm 3.3 that makes H + τI positive
  // definite (τ = 0 when H already is).
  Eigen::VectorXd dense_direction(const Eigen::MatrixXd& h, const Eigen::VectorXd& g) {
    // No τ makes a matrix that is not finite positive definite: steepest descent; the line
    // search and minimize()'s finiteness check take it from there.
    if (!h.allFinite()) return -g;
    double tau = first_shift(h.diagonal().minCoeff());
    const Eigen::Index n = h.rows();
    for (int attempt = 0; attempt < max_shifts; ++attempt) {
      Eigen::LLT<Eigen::MatrixXd> cholesky(h + tau * Eigen::MatrixXd::Identity(n, n));
      if (cholesky.info() == Eigen::Success) {
        if (tau > 0) indefinite_steps_ += 1;
        return -cholesky.solve(g);
      }
      tau = std::max(2 * tau, options_.min_curvature);
    }
    // τ doubled max_shifts times and H + τI is still not positive definite (entries near
    // the largest double): steepest descent, as for an H that is not finite.
    return -g;
  }

  // The same τ sequence with the sparse factorization, whose symbolic analysis is made
  // once for the run's pattern and reused for every τ and every step.
  Eigen::VectorXd sparse_direction(const Eigen::SparseMatrix<double>& h, const Eigen::VectorXd& g) {
    if (!Eigen::Map<const Eigen::VectorXd>(h.valuePtr(), h.nonZeros()).allFinite()) return -g;
    if (!sparse_.factorization) sparse_.factorization = std::make_unique<SparseCholesky>();
    SparseCholesky& cholesky = *sparse_.factorization;
    double tau = first_shift(h.rows() > 0 ? Eigen::VectorXd(h.diagonal()).minCoeff() : 0.0);
    for (int attempt = 0; attempt < max_shifts; ++attempt) {
      if (cholesky.factor(h, tau)) {
        if (tau > 0) indefinite_steps_ += 1;
        return -cholesky.solve(g);
      }
      tau = std::max(2 * tau, options_.min_curvature);
    }
    return -g;
  }

  // τ doubled this many times means H is not finite.
  static constexpr int max_shifts = 200;

  detail::NewtonSparseCache sparse_;
};

}  // namespace tapegrad::optim
