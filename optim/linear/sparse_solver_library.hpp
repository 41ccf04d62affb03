/// \file
/// Which library factors the sparse matrices of SparseCholesky and SparseLu, and whether
/// this build has SuiteSparse.
#pragma once

namespace tapegrad::optim {

/// Which library factors sparse matrices (SparseCholesky, SparseLu).
enum class SparseSolverLibrary {
  Auto,         ///< SuiteSparse (CHOLMOD, UMFPACK) when the build found it, Eigen's own otherwise
  SuiteSparse,  ///< CHOLMOD and UMFPACK; asking for them in a build without SuiteSparse throws
                ///< tapegrad::Error
  Eigen         ///< Eigen's SimplicialLLT and SparseLU, in every build
};

/// Whether this build has SuiteSparse (CHOLMOD and UMFPACK): configure found its headers and libraries.
bool suitesparse_available() noexcept;

}  // namespace tapegrad::optim
