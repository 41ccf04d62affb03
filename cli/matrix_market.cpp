#include "matrix_market.hpp"

#include <cstdio>

#include "../autodiff/support/atomic_file.hpp"
#include "arguments.hpp"

namespace tapegrad::cli {

std::string matrix_market_text(const Eigen::SparseMatrix<double>& m, MatrixSymmetry symmetry,
                               const std::string& comment) {
  const bool symmetric = symmetry == MatrixSymmetry::Symmetric;
  std::size_t entries = 0;
  for (Eigen::Index j = 0; j < m.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(m, j); it; ++it)
      if (!symmetric || it.row() >= it.col()) ++entries;
  std::string text = symmetric ? "%%MatrixMarket matrix coordinate real symmetric\n"
                               : "%%MatrixMarket matrix coordinate real general\n";
  std::size_t begin = 0;
  while (begin < comment.size()) {
    const std::size_t end = std::min(comment.find('\n', begin), comment.size());
    text += "% " + comment.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  text += std::to_string(m.rows()) + " " + std::to_string(m.cols()) + " " + std::to_string(entries) + "\n";
  text.reserve(text.size() + entries * 32);
  char line[80];
  // Column by column (Eigen's storage order), which the format allows: any order.
  for (Eigen::Index j = 0; j < m.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(m, j); it; ++it) {
      if (symmetric && it.row() < it.col()) continue;
      const int n =
          std::snprintf(line, sizeof line, "%lld %lld %.17g\n", static_cast<long long>(it.row()) + 1,
                        static_cast<long long>(it.col()) + 1, it.value());
      text.append(line, static_cast<std::size_t>(n));
    }
  return text;
}

Json sparse_matrix_json(const SparsityPattern& pattern, std::span<const double> nonzeros,
                        std::size_t colors) {
  Json rows = Json::array(), columns = Json::array(), values = Json::array();
  for (std::size_t i = 0; i < pattern.rows; ++i)
    for (std::size_t k = pattern.row_begin[i]; k < pattern.row_begin[i + 1]; ++k) {
      rows.push_back(i);
      columns.push_back(pattern.columns[k]);
      values.push_back(nonzeros[k]);
    }
  return {{"rows", pattern.rows},
          {"columns", pattern.cols},
          {"nonzeros", pattern.nonzeros()},
          {"colors", colors},
          {"row", rows},
          {"column", columns},
          {"values", values}};
}

void write_matrix_market(const std::string& path, const Eigen::SparseMatrix<double>& m,
                         MatrixSymmetry symmetry, const std::string& comment) {
  write_file_atomically(path, matrix_market_text(m, symmetry, comment));
}

}  // namespace tapegrad::cli
