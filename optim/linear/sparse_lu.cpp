#include "sparse_lu.hpp"

#include <Eigen/SparseLU>
#include <algorithm>
#include <optional>

#include "../../autodiff/support/error.hpp"
#include "factorization_record.hpp"

#if TAPEGRAD_WITH_SUITESPARSE
#include <Eigen/UmfPackSupport>
#endif

namespace tapegrad::optim {
namespace detail {
namespace {

using Eigen::SparseMatrix;

#if TAPEGRAD_WITH_SUITESPARSE
// Eigen's UMFPACK wrapper keeps a reference to the matrix it factored (umfpack_solve
// reads A again for its iterative refinement), so SparseLuState keeps the matrix.
class Umfpack : public Eigen::UmfPackLU<SparseMatrix<double>> {
 public:
  // UMFPACK's status of the last analysis or factorization (UMFPACK_OK is 0).
  int status() const { return m_fact_errorCode; }
};
#endif

using EigenLu = Eigen::SparseLU<SparseMatrix<double>, Eigen::COLAMDOrdering<int>>;

}  // namespace

struct SparseLuState {
  FactorizationRecord record;
#if TAPEGRAD_WITH_SUITESPARSE
  std::unique_ptr<Umfpack> umfpack;
  SparseMatrix<double> matrix;  // what umfpack refers to
#endif
  std::unique_ptr<EigenLu> eigen;
};

}  // namespace detail

SparseLu::SparseLu(SparseSolverLibrary library) : state_(std::make_unique<detail::SparseLuState>()) {
  detail::require_library(library, "SparseLu", "UMFPACK");
#if TAPEGRAD_WITH_SUITESPARSE
  if (library != SparseSolverLibrary::Eigen) {
    state_->umfpack = std::make_unique<detail::Umfpack>();
    return;
  }
#endif
  state_->eigen = std::make_unique<detail::EigenLu>();
}
SparseLu::SparseLu(SparseLu&&) noexcept = default;
SparseLu& SparseLu::operator=(SparseLu&&) noexcept = default;
SparseLu::~SparseLu() = default;

bool SparseLu::factor(const Eigen::SparseMatrix<double>& a) {
  detail::SparseLuState& s = *state_;
  std::optional<Eigen::SparseMatrix<double>> compressed;
  bool analyze = false;
  const Eigen::SparseMatrix<double>* m = s.record.begin_factor(a, compressed, "SparseLu", analyze);
  if (m == nullptr) return false;
  if (m->rows() == 0) return s.record.finish_factor(true);
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.umfpack) {
    if (analyze) {
      s.matrix = *m;
      s.umfpack->analyzePattern(s.matrix);
      if (s.umfpack->status() != UMFPACK_OK) {
        s.record.forget_pattern();
        throw Error("SparseLu::factor: UMFPACK's symbolic analysis of the ", m->rows(), "×", m->cols(),
                    " matrix with ", m->nonZeros(), " nonzeros failed (UMFPACK status ", s.umfpack->status(),
                    ")");
      }
    } else {
      std::copy(m->valuePtr(), m->valuePtr() + m->nonZeros(), s.matrix.valuePtr());
    }
    s.umfpack->factorize(s.matrix);
    return s.record.finish_factor(s.umfpack->info() == Eigen::Success);
  }
#endif
  if (analyze) s.eigen->analyzePattern(*m);
  s.eigen->factorize(*m);
  return s.record.finish_factor(s.eigen->info() == Eigen::Success);
}

Eigen::VectorXd SparseLu::solve(const Eigen::VectorXd& b) const {
  const detail::SparseLuState& s = *state_;
  s.record.check_solve(b.size(), "SparseLu", "found the matrix singular");
  if (b.size() == 0) return {};
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.umfpack) {
    Eigen::VectorXd x = s.umfpack->solve(b);
    if (s.umfpack->info() != Eigen::Success) throw Error("SparseLu::solve: UMFPACK's solve failed");
    return x;
  }
#endif
  return s.eigen->solve(b);
}

const char* SparseLu::library() const noexcept {
#if TAPEGRAD_WITH_SUITESPARSE
  if (state_->umfpack) return "UMFPACK";
#endif
  return "Eigen SparseLU";
}

std::size_t SparseLu::analyses() const noexcept { return state_->record.analyses(); }

}  // namespace tapegrad::optim
