#include "sparse_cholesky.hpp"

#include <Eigen/SparseCholesky>
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "../../autodiff/support/error.hpp"

#if TAPEGRAD_WITH_SUITESPARSE
#include <Eigen/CholmodSupport>
#endif

namespace tapegrad::optim {

bool suitesparse_available() noexcept { return TAPEGRAD_WITH_SUITESPARSE != 0; }

namespace detail {

bool FactoredPattern::changed_to(const Eigen::SparseMatrix<double>& a) {
  const auto outer = static_cast<std::size_t>(a.outerSize()) + 1;
  const auto nonzeros = static_cast<std::size_t>(a.nonZeros());
  if (a.rows() == rows_ && a.cols() == cols_ && outer_.size() == outer && inner_.size() == nonzeros &&
      std::equal(outer_.begin(), outer_.end(), a.outerIndexPtr()) &&
      std::equal(inner_.begin(), inner_.end(), a.innerIndexPtr()))
    return false;
  rows_ = a.rows();
  cols_ = a.cols();
  outer_.assign(a.outerIndexPtr(), a.outerIndexPtr() + outer);
  inner_.assign(a.innerIndexPtr(), a.innerIndexPtr() + nonzeros);
  return true;
}

namespace {

using Eigen::SparseMatrix;

#if TAPEGRAD_WITH_SUITESPARSE
// CHOLMOD's LLᵀ, choosing for each pattern between its simplicial and supernodal
// factorizations by the flops per nonzero of the factor (supernodal pays on stencils and
// denser blocks, simplicial on bands). A simplicial factorization in CHOLMOD's LDLᵀ form,
// its default, would not stop at a negative pivot, so the LLᵀ form is asked for
// (final_ll). CHOLMOD prints its warnings ("not positive definite") unless told not to:
// factor() returns that instead.
class Cholmod : public Eigen::CholmodDecomposition<SparseMatrix<double>, Eigen::Lower> {
 public:
  Cholmod() {
    cholmod().supernodal = CHOLMOD_AUTO;
    cholmod().final_asis = 0;
    cholmod().final_ll = 1;
    cholmod().print = 0;
  }
  // False when cholmod_analyze failed (out of memory, or a size over its int indexes).
  bool analyzed() const { return m_cholmodFactor != nullptr; }
};
#endif

using EigenLlt = Eigen::SimplicialLLT<SparseMatrix<double>, Eigen::Lower, Eigen::AMDOrdering<int>>;

}  // namespace

struct SparseCholeskyState {
  FactoredPattern pattern;
  std::size_t analyses = 0;
  Eigen::Index size = 0;
  bool factored = false;
#if TAPEGRAD_WITH_SUITESPARSE
  std::unique_ptr<Cholmod> cholmod;  // CHOLMOD's cholmod_common must not move: held by pointer
#endif
  std::unique_ptr<EigenLlt> eigen;
};

}  // namespace detail

SparseCholesky::SparseCholesky(SparseSolverLibrary library)
    : state_(std::make_unique<detail::SparseCholeskyState>()) {
  if (library == SparseSolverLibrary::SuiteSparse && !suitesparse_available())
    throw Error(
        "SparseCholesky: SuiteSparse (CHOLMOD) was asked for, but this build of tapegrad has no SuiteSparse "
        "(install libsuitesparse-dev and configure again), or use SparseSolverLibrary::Auto or Eigen");
#if TAPEGRAD_WITH_SUITESPARSE
  if (library != SparseSolverLibrary::Eigen) {
    state_->cholmod = std::make_unique<detail::Cholmod>();
    return;
  }
#endif
  state_->eigen = std::make_unique<detail::EigenLlt>();
}
SparseCholesky::SparseCholesky(SparseCholesky&&) noexcept = default;
SparseCholesky& SparseCholesky::operator=(SparseCholesky&&) noexcept = default;
SparseCholesky::~SparseCholesky() = default;

bool SparseCholesky::factor(const Eigen::SparseMatrix<double>& a, double shift) {
  detail::SparseCholeskyState& s = *state_;
  if (a.rows() != a.cols())
    throw Error("SparseCholesky::factor: the matrix is ", a.rows(), "×", a.cols(), ", not square");
  s.factored = false;
  std::optional<Eigen::SparseMatrix<double>> compressed;
  if (!a.isCompressed()) compressed.emplace(a).makeCompressed();
  const Eigen::SparseMatrix<double>& m = compressed ? *compressed : a;
  if (!std::isfinite(shift) ||
      !Eigen::Map<const Eigen::VectorXd>(m.valuePtr(), static_cast<Eigen::Index>(m.nonZeros())).allFinite())
    return false;
  const bool analyze = s.pattern.changed_to(m);
  if (analyze) ++s.analyses;
  s.size = m.rows();
  if (s.size == 0) return s.factored = true;
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.cholmod) {
    if (analyze) {
      s.cholmod->analyzePattern(m);
      if (!s.cholmod->analyzed()) {
        s.pattern = {};  // analyze again next time
        throw Error("SparseCholesky::factor: CHOLMOD's symbolic analysis of the ", m.rows(), "×", m.cols(),
                    " matrix with ", m.nonZeros(), " nonzeros failed (CHOLMOD status ",
                    s.cholmod->cholmod().status, ")");
      }
    }
    s.cholmod->setShift(shift);
    s.cholmod->factorize(m);
    s.factored = s.cholmod->info() == Eigen::Success;
    return s.factored;
  }
#endif
  if (analyze) s.eigen->analyzePattern(m);
  s.eigen->setShift(shift);
  s.eigen->factorize(m);
  s.factored = s.eigen->info() == Eigen::Success;
  return s.factored;
}

Eigen::VectorXd SparseCholesky::solve(const Eigen::VectorXd& b) const {
  const detail::SparseCholeskyState& s = *state_;
  if (!s.factored)
    throw Error(
        "SparseCholesky::solve: no factorization to solve with (none was made, or the last factor() found "
        "the "
        "matrix not positive definite)");
  if (b.size() != s.size)
    throw Error("SparseCholesky::solve: b has ", b.size(), " entries for a ", s.size, "×", s.size, " matrix");
  if (s.size == 0) return {};
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.cholmod) {
    Eigen::VectorXd x = s.cholmod->solve(b);
    if (s.cholmod->info() != Eigen::Success) throw Error("SparseCholesky::solve: CHOLMOD's solve failed");
    return x;
  }
#endif
  return s.eigen->solve(b);
}

const char* SparseCholesky::library() const noexcept {
#if TAPEGRAD_WITH_SUITESPARSE
  if (state_->cholmod) return "CHOLMOD";
#endif
  return "Eigen SimplicialLLT";
}

std::size_t SparseCholesky::analyses() const noexcept { return state_->analyses; }

}  // namespace tapegrad::optim
