/// \file
/// The sparse LU factorization for square systems that are not symmetric (the Jacobians
/// of nonlinear systems): UMFPACK when the build found SuiteSparse, Eigen's SparseLU
/// otherwise, with the symbolic analysis (the column ordering) made once per pattern and
/// reused while the pattern stays the same. SuiteSparse's headers stay in sparse_lu.cpp.
#pragma once

#include <Eigen/SparseCore>
#include <cstddef>
#include <memory>

#include "sparse_solver_library.hpp"

namespace tapegrad::optim {

namespace detail {
struct SparseLuState;
}  // namespace detail

/// The factorization P·A·Q = L·U of a sparse square matrix (partial pivoting within a fill-reducing column
/// ordering), whose symbolic analysis is reused while the pattern stays the same.
class SparseLu {
 public:
  /// A factorization by `library`. Throws tapegrad::Error when SuiteSparse is asked for and this build does
  /// not have it (suitesparse_available()).
  explicit SparseLu(SparseSolverLibrary library = SparseSolverLibrary::Auto);
  /// Takes over the other's factors and analysis (the other may then only be destroyed or assigned to).
  ///@{
  SparseLu(SparseLu&&) noexcept;
  SparseLu& operator=(SparseLu&&) noexcept;
  ///@}
  /// Frees the factors.
  ~SparseLu();

  /// Factors the square matrix A. The symbolic analysis is redone only when A's pattern differs from the last
  /// one factored. Returns false when A is singular to the factorization (a pivot column with no nonzero
  /// left: structurally singular, or an exact zero in floating point) or has an entry that is not finite;
  /// solve() then throws until a factor() succeeds. A nearly singular A factors, and its solution is as
  /// accurate as its condition allows. Throws tapegrad::Error when A is not square.
  bool factor(const Eigen::SparseMatrix<double>& a);
  /// x with A·x = b for the last matrix factored. Throws tapegrad::Error when no factor() succeeded since
  /// the last one that failed (or none was made), or when b's size is not A's.
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const;

  /// The library factoring: "UMFPACK" or "Eigen SparseLU".
  const char* library() const noexcept;
  /// How many symbolic analyses were made: one per pattern change, including the first.
  std::size_t analyses() const noexcept;

 private:
  std::unique_ptr<detail::SparseLuState> state_;
};

}  // namespace tapegrad::optim
