/// \file
/// The sparse Cholesky factorization the Newton-type methods and least squares factor
/// their Hessians and normal equations with: CHOLMOD when the build found SuiteSparse,
/// Eigen's SimplicialLLT otherwise. The symbolic analysis (a fill-reducing ordering and
/// the factor's structure) is made once for a pattern and reused for every matrix of the
/// same pattern, since an optimizer factors the same pattern at every step. SuiteSparse's
/// headers stay in sparse_cholesky.cpp, so a program built against tapegrad needs none.
#pragma once

#include <Eigen/SparseCore>
#include <cstddef>
#include <memory>

#include "sparse_solver_library.hpp"

namespace tapegrad::optim {

namespace detail {
struct SparseCholeskyState;
}  // namespace detail

/// The Cholesky factorization L·Lᵀ of a sparse symmetric positive definite matrix plus a multiple of the
/// identity, whose symbolic analysis is reused while the pattern stays the same.
///
/// An LLᵀ factorization, not LDLᵀ, in both libraries: it fails at the first pivot that is not positive, so
/// factor() is also the test of positive definiteness that Newton's Hessian modification (Nocedal & Wright,
/// Algorithm 3.3) needs; an LDLᵀ factorization goes through most indefinite matrices without saying so.
class SparseCholesky {
 public:
  /// A factorization by `library`. Throws tapegrad::Error when SuiteSparse is asked for and this build does
  /// not have it (suitesparse_available()).
  explicit SparseCholesky(SparseSolverLibrary library = SparseSolverLibrary::Auto);
  /// Takes over the other's factor and analysis (the other may then only be destroyed or assigned to).
  ///@{
  SparseCholesky(SparseCholesky&&) noexcept;
  SparseCholesky& operator=(SparseCholesky&&) noexcept;
  ///@}
  /// Frees the factor (and CHOLMOD's workspace).
  ~SparseCholesky();

  /// Factors A + shift·I for the symmetric matrix A: only its lower triangle (the diagonal included) is read,
  /// so either that or both triangles may be given. The symbolic analysis is redone only when A's pattern (as
  /// given, both triangles if both are) differs from the last one factored. Returns false when A + shift·I is
  /// not numerically positive definite (a pivot ≤ 0) or A or shift is not finite; solve() then throws until
  /// a factor() succeeds. Throws tapegrad::Error when A is not square.
  bool factor(const Eigen::SparseMatrix<double>& a, double shift = 0);
  /// x with (A + shift·I)·x = b for the last matrix factored. Throws tapegrad::Error when no factor()
  /// succeeded since the last one that failed (or none was made), or when b's size is not A's.
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const;

  /// The library factoring: "CHOLMOD" or "Eigen SimplicialLLT".
  const char* library() const noexcept;
  /// How many symbolic analyses were made: one per pattern change, including the first.
  std::size_t analyses() const noexcept;

 private:
  std::unique_ptr<detail::SparseCholeskyState> state_;
};

}  // namespace tapegrad::optim
