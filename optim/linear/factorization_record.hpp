/// \file
/// What SparseCholesky and SparseLu share around their library's calls: the checks every
/// factor() and solve() makes, the pattern whose symbolic analysis is current (redone only
/// when the next matrix's pattern differs), and whether there is a factor to solve with.
/// Included by their .cpp files only.
#pragma once

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

#include "../../autodiff/support/error.hpp"
#include "sparse_solver_library.hpp"

namespace tapegrad::optim::detail {

// Throws tapegrad::Error when SuiteSparse is asked for in a build without it; `who` names
// the class and `part` the library it would have used ("UMFPACK").
inline void require_library(SparseSolverLibrary library, const char* who, const char* part) {
  if (library == SparseSolverLibrary::SuiteSparse && !suitesparse_available())
    throw Error(
        who, ": SuiteSparse (", part,
        ") was asked for, but this build of tapegrad has no SuiteSparse (install libsuitesparse-dev and "
        "configure again), or use SparseSolverLibrary::Auto or Eigen");
}

class FactorizationRecord {
 public:
  // The compressed form of `a` (a itself when it is, else a copy held in `scratch`) after
  // the checks of factor(): square, or tapegrad::Error naming `who`; every value finite,
  // and `shift` (the multiple of I added), or nullptr (factor() returns false). `analyze`: the pattern
  // differs from the last one factored, which it then becomes. Forgets the last factor either way.
  const Eigen::SparseMatrix<double>* begin_factor(const Eigen::SparseMatrix<double>& a,
                                                  std::optional<Eigen::SparseMatrix<double>>& scratch,
                                                  const char* who, bool& analyze, double shift = 0) {
    if (a.rows() != a.cols())
      throw Error(who, "::factor: the matrix is ", a.rows(), "×", a.cols(), ", not square");
    factored_ = false;
    if (!a.isCompressed()) scratch.emplace(a).makeCompressed();
    const Eigen::SparseMatrix<double>& m = scratch ? *scratch : a;
    if (!std::isfinite(shift) ||
        !Eigen::Map<const Eigen::VectorXd>(m.valuePtr(), static_cast<Eigen::Index>(m.nonZeros())).allFinite())
      return nullptr;
    analyze = changed_to(m);
    if (analyze) ++analyses_;
    size_ = m.rows();
    return &m;
  }
  // factor()'s result, which solve() checks.
  bool finish_factor(bool succeeded) { return factored_ = succeeded; }
  // After a failed symbolic analysis: the next factor() analyzes again.
  void forget_pattern() { outer_.clear(), inner_.clear(), rows_ = -1; }
  // The checks of solve(): a factor to solve with (else `failed`, why there may be none),
  // and b of the matrix's size.
  void check_solve(Eigen::Index b_size, const char* who, const char* failed) const {
    if (!factored_)
      throw Error(who, "::solve: no factorization to solve with (none was made, or the last factor() ",
                  failed, ")");
    if (b_size != size_)
      throw Error(who, "::solve: b has ", b_size, " entries for a ", size_, "×", size_, " matrix");
  }
  Eigen::Index size() const { return size_; }
  std::size_t analyses() const { return analyses_; }

 private:
  bool changed_to(const Eigen::SparseMatrix<double>& a) {
    const auto outer = static_cast<std::size_t>(a.outerSize()) + 1;
    const auto nonzeros = static_cast<std::size_t>(a.nonZeros());
    if (a.rows() == rows_ && outer_.size() == outer && inner_.size() == nonzeros &&
        std::equal(outer_.begin(), outer_.end(), a.outerIndexPtr()) &&
        std::equal(inner_.begin(), inner_.end(), a.innerIndexPtr()))
      return false;
    rows_ = a.rows();
    outer_.assign(a.outerIndexPtr(), a.outerIndexPtr() + outer);
    inner_.assign(a.innerIndexPtr(), a.innerIndexPtr() + nonzeros);
    return true;
  }

  Eigen::Index rows_ = -1, size_ = 0;  // square: rows_ stands for the columns too
  std::vector<int> outer_, inner_;
  std::size_t analyses_ = 0;
  bool factored_ = false;
};

}  // namespace tapegrad::optim::detail
