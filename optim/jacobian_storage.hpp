/// \file
/// How a method that needs a Jacobian stores it: dense, one reverse sweep per output, or
/// sparse, its pattern found and colored once per run and then a few colored sweeps per
/// point (autodiff/sparse/sparse_jacobian.hpp). least_squares() and solve() take it.
#pragma once

#include "../autodiff/support/enum_names.hpp"

namespace tapegrad::optim {

/// How a Jacobian is stored and factored.
enum class JacobianStorage {
  Auto,   ///< dense for small problems, sparse for large ones (each method says where it switches)
  Dense,  ///< an Eigen::MatrixXd, every entry computed
  Sparse  ///< an Eigen::SparseMatrix on the pattern found once per run, its nonzeros from colored sweeps
};
/// The names of JacobianStorage's values, for the command line.
constexpr EnumNames<JacobianStorage, 3> enum_names(JacobianStorage) {
  return {{{JacobianStorage::Auto, "auto"},
           {JacobianStorage::Dense, "dense"},
           {JacobianStorage::Sparse, "sparse"}}};
}

}  // namespace tapegrad::optim
