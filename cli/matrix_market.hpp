// Sparse matrices as the commands give them: their JSON form, and files in the Matrix
// Market exchange format
// (https://math.nist.gov/MatrixMarket/formats.html), which scipy.io.mmread, MATLAB,
// Julia's MatrixMarket.jl and SuiteSparse read: a Jacobian as "coordinate real
// general", a Hessian as "coordinate real symmetric" (its lower triangle only, as the
// format says for symmetric matrices). Indices are 1-based; values have 17 significant
// digits, so every double is written exactly.
#pragma once

#include <Eigen/SparseCore>
#include <span>
#include <string>

#include "../autodiff/sparse/coloring.hpp"
#include "output.hpp"

namespace tapegrad::cli {

enum class MatrixSymmetry { General, Symmetric };

// {"rows", "columns", "nonzeros", "colors", "row": […], "column": […], "values": […]}:
// every nonzero of the pattern (0-based, compressed-row order) with its value.
Json sparse_matrix_json(const SparsityPattern& pattern, std::span<const double> nonzeros, std::size_t colors);

// The file's text. `comment` (one line per '\n') follows the header as % lines.
std::string matrix_market_text(const Eigen::SparseMatrix<double>& m, MatrixSymmetry symmetry,
                               const std::string& comment);

// Writes it to `path` atomically (a reader never sees half a file); throws UsageError
// naming the file when it cannot be written.
void write_matrix_market(const std::string& path, const Eigen::SparseMatrix<double>& m,
                         MatrixSymmetry symmetry, const std::string& comment);

}  // namespace tapegrad::cli
