#include "sparse_cholesky.hpp"

#include <Eigen/SparseCholesky>
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "../../autodiff/support/error.hpp"
#include "factorization_record.hpp"

#if TAPEGRAD_WITH_SUITESPARSE
#include <Eigen/CholmodSupport>
#endif

namespace tapegrad::optim {

bool suitesparse_available() noexcept { return TAPEGRAD_WITH_SUITESPARSE != 0; }

namespace detail {

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
  FactorizationRecord record;
#if TAPEGRAD_WITH_SUITESPARSE
  std::unique_ptr<Cholmod> cholmod;  // CHOLMOD's cholmod_common must not move: held by pointer
#endif
  std::unique_ptr<EigenLlt> eigen;
};

}  // namespace detail

SparseCholesky::SparseCholesky(SparseSolverLibrary library)
    : state_(std::make_unique<detail::SparseCholeskyState>()) {
  detail::require_library(library, "SparseCholesky", "CHOLMOD");
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
  std::optional<Eigen::SparseMatrix<double>> compressed;
  bool analyze = false;
  const Eigen::SparseMatrix<double>* m =
      s.record.begin_factor(a, compressed, "SparseCholesky", analyze, shift);
  if (m == nullptr) return false;
  if (m->rows() == 0) return s.record.finish_factor(true);
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.cholmod) {
    if (analyze) {
      s.cholmod->analyzePattern(*m);
      if (!s.cholmod->analyzed()) {
        s.record.forget_pattern();
        throw Error("SparseCholesky::factor: CHOLMOD's symbolic analysis of the ", m->rows(), "×", m->cols(),
                    " matrix with ", m->nonZeros(), " nonzeros failed (CHOLMOD status ",
                    s.cholmod->cholmod().status, ")");
      }
    }
    s.cholmod->setShift(shift);
    s.cholmod->factorize(*m);
    return s.record.finish_factor(s.cholmod->info() == Eigen::Success);
  }
#endif
  if (analyze) s.eigen->analyzePattern(*m);
  s.eigen->setShift(shift);
  s.eigen->factorize(*m);
  return s.record.finish_factor(s.eigen->info() == Eigen::Success);
}

Eigen::VectorXd SparseCholesky::solve(const Eigen::VectorXd& b) const {
  const detail::SparseCholeskyState& s = *state_;
  s.record.check_solve(b.size(), "SparseCholesky", "found the matrix not positive definite");
  if (b.size() == 0) return {};
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

std::size_t SparseCholesky::analyses() const noexcept { return state_->record.analyses(); }

}  // namespace tapegrad::optim
