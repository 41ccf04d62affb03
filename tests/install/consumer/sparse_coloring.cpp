// Colors a sparse Hessian's pattern and recovers its nonzeros through the installed package:
// the static library calls ColPack, which the package's exported targets link.
#include <cstdio>
#include <tapegrad/tapegrad.hpp>
#include <vector>

int main() {
  namespace tg = tapegrad;
  // The tridiagonal pattern of 6 variables and its values H(i, j) = 1 + i + j.
  tg::SparsityPattern pattern;
  pattern.rows = pattern.cols = 6;
  std::vector<double> truth;
  for (std::uint32_t i = 0; i < 6; ++i) {
    for (std::uint32_t j = i > 0 ? i - 1 : 0; j <= i + 1 && j < 6; ++j) {
      pattern.columns.push_back(j);
      truth.push_back(1.0 + i + j);
    }
    pattern.row_begin.push_back(pattern.columns.size());
  }
  const tg::ColumnColoring coloring = tg::color_hessian(pattern);
  // H·S, one column per color.
  std::vector<double> compressed(6 * coloring.colors(), 0.0);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t k = pattern.row_begin[i]; k < pattern.row_begin[i + 1]; ++k)
      compressed[i + 6 * static_cast<std::size_t>(coloring.color()[pattern.columns[k]])] += truth[k];
  std::vector<double> values(pattern.nonzeros());
  coloring.recover(compressed, values);
  std::printf("%zu colors for %zu nonzeros\n", coloring.colors(), values.size());
  return values == truth ? 0 : 1;
}
