#include "sparse_lu.hpp"

#include <Eigen/SparseLU>
#include <algorithm>
#include <optional>

#include "../../autodiff/support/error.hpp"

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
  FactoredPattern pattern;
  std::size_t analyses = 0;
  Eigen::Index size = 0;
  bool factored = false;
#if TAPEGRAD_WITH_SUITESPARSE
  std::unique_ptr<Umfpack> umfpack;
  SparseMatrix<double> matrix;  // what umfpack refers to
#endif
  std::unique_ptr<EigenLu> eigen;
};

}  // namespace detail

SparseLu::SparseLu(SparseSolverLibrary library) : state_(std::make_unique<detail::SparseLuState>()) {
  if (library == SparseSolverLibrary::SuiteSparse && !suitesparse_available())
    throw Error(
        "SparseLu: SuiteSparse (UMFPACK) was asked for, but this build of tapegrad has no SuiteSparse "
        "(install "
        "libsuitesparse-dev and configure again), or use SparseSolverLibrary::Auto or Eigen");
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
  if (a.rows() != a.cols())
    throw Error("SparseLu::factor: the matrix is ", a.rows(), "×", a.cols(), ", not square");
  s.factored = false;
  std::optional<Eigen::SparseMatrix<double>> compressed;
  if (!a.isCompressed()) compressed.emplace(a).makeCompressed();
  const Eigen::SparseMatrix<double>& m = compressed ? *compressed : a;
  if (!Eigen::Map<const Eigen::VectorXd>(m.valuePtr(), static_cast<Eigen::Index>(m.nonZeros())).allFinite())
    return false;
  const bool analyze = s.pattern.changed_to(m);
  if (analyze) ++s.analyses;
  s.size = m.rows();
  if (s.size == 0) return s.factored = true;
#if TAPEGRAD_WITH_SUITESPARSE
  if (s.umfpack) {
    if (analyze) {
      s.matrix = m;
      s.umfpack->analyzePattern(s.matrix);
      if (s.umfpack->status() != UMFPACK_OK) {
        s.pattern = {};  // analyze again next time
        throw Error("SparseLu::factor: UMFPACK's symbolic analysis of the ", m.rows(), "×", m.cols(),
                    " matrix with ", m.nonZeros(), " nonzeros failed (UMFPACK status ", s.umfpack->status(),
                    ")");
      }
    } else {
      std::copy(m.valuePtr(), m.valuePtr() + m.nonZeros(), s.matrix.valuePtr());
    }
    s.umfpack->factorize(s.matrix);
    s.factored = s.umfpack->info() == Eigen::Success;
    return s.factored;
  }
#endif
  if (analyze) s.eigen->analyzePattern(m);
  s.eigen->factorize(m);
  s.factored = s.eigen->info() == Eigen::Success;
  return s.factored;
}

Eigen::VectorXd SparseLu::solve(const Eigen::VectorXd& b) const {
  const detail::SparseLuState& s = *state_;
  if (!s.factored)
    throw Error(
        "SparseLu::solve: no factorization to solve with (none was made, or the last factor() found the "
        "matrix "
        "singular)");
  if (b.size() != s.size)
    throw Error("SparseLu::solve: b has ", b.size(), " entries for a ", s.size, "×", s.size, " matrix");
  if (s.size == 0) return {};
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

std::size_t SparseLu::analyses() const noexcept { return state_->analyses; }

}  // namespace tapegrad::optim
