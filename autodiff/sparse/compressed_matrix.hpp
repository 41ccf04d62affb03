/// \file
/// A SparsityPattern as Eigen's index arrays, built once per pattern, so that a matrix at
/// a new point is a copy of its values (detail: the sparse drivers' own).
#pragma once

#include <Eigen/SparseCore>
#include <span>
#include <vector>

#include "../support/error.hpp"
#include "coloring.hpp"

namespace tapegrad::detail {

class CompressedIndices {
 public:
  CompressedIndices() = default;
  explicit CompressedIndices(const SparsityPattern& p) : rows_(p.rows), cols_(p.cols) {
    if (p.nonzeros() > static_cast<std::size_t>(Eigen::NumTraits<int>::highest()))
      throw Error("sparse matrix: ", p.nonzeros(), " nonzeros are more than Eigen's int indices hold");
    outer_.assign(p.row_begin.begin(), p.row_begin.end());
    inner_.assign(p.columns.begin(), p.columns.end());
  }

  // The matrix with these values in the pattern's (compressed-row) order.
  Eigen::SparseMatrix<double> matrix(std::span<const double> values) const {
    Eigen::SparseMatrix<double, Eigen::RowMajor> m(static_cast<Eigen::Index>(rows_),
                                                   static_cast<Eigen::Index>(cols_));
    m.resizeNonZeros(static_cast<Eigen::Index>(values.size()));
    std::copy(outer_.begin(), outer_.end(), m.outerIndexPtr());
    std::copy(inner_.begin(), inner_.end(), m.innerIndexPtr());
    std::copy(values.begin(), values.end(), m.valuePtr());
    return Eigen::SparseMatrix<double>(m);
  }

 private:
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<int> outer_, inner_;
};

}  // namespace tapegrad::detail
