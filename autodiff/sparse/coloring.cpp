// The coloring of sparse Jacobians and Hessians and the recovery of their nonzeros, both
// ColPack's; this is the only file that includes ColPack. See coloring.hpp.
//
// What ColPack does, read in its source (1.0.10, the Debian package), and what follows here:
//  - Its graphs are built from ADOL-C's compressed rows (row i = [count, col, col, …]),
//    which it reads and never frees or changes (AdolcPattern below owns them).
//  - Each coloring is a greedy pass in the order of one of its vertex orderings. A graph
//    is built once per Hessian coloring tried (ColPack's star coloring and acyclic coloring
//    keep state in the graph object), and once for all the Jacobian colorings tried (its
//    bipartite graph has Reset(), which keeps the graph and clears ordering and coloring).
//  - Each ordering is checked to hold every column once before the coloring runs:
//    ColPack's largest-first ordering of a Jacobian's columns can leave columns out
//    (complete_ordering below), and its coloring then reads past the order's end.
//  - The Jacobian's coloring is called as PartialDistanceTwoColumnColoring_serial():
//    the default entry point in an OpenMP build of ColPack is a speculative parallel
//    coloring whose colors depend on the threads' timing (and which updates its color
//    count without synchronization), so that the same pattern could get another coloring
//    on another run.
//  - The number of colors is counted here from the colors themselves: ColPack's count
//    after a star coloring starts from 4 (its first color bound), whatever the colors.
//    Colors are renumbered 0…colors−1 in their order over the columns with nonzeros
//    (a greedy coloring uses every color below its largest, so this changes nothing
//    there), and a column without nonzeros gets −1.
//  - The direct recoveries (DirectRecover_RowCompressedFormat_usermem for a star coloring,
//    RecoverD2Cln_RowCompressedFormat_usermem for a Jacobian) assign each nonzero one entry
//    of the compressed matrix, chosen from the pattern and the colors alone, and compute
//    nothing. Run once on a compressed matrix whose every entry holds its own position,
//    each returns where every nonzero is copied from (checked to be such a position), and
//    a gather from those positions gives the same bits at any other compressed matrix:
//    ColPack's direct recovery of a 10⁶-column Hessian allocates 10⁶ rows of color
//    counts at every call.
//  - The acyclic recovery (IndirectRecover_RowCompressedFormat_usermem) subtracts and
//    adds along the two-colored trees, so ColPack runs at every recover(). It needs the
//    graph object of the coloring (its edge numbering and the trees' disjoint sets) and
//    the pattern, which SubstitutionRecovery keeps. It copies that state at each call and,
//    for each tree, walks every vertex of the graph.
//  - The "usermem" recoveries write into rows the caller allocated and free nothing; the
//    graph objects free what they allocated when destroyed.
#include "coloring.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "../support/error.hpp"

// After tapegrad's own headers: ColPack's declare `using namespace std` at global scope.
#include <ColPack/ColPackHeaders.h>

namespace tapegrad {

// ---------------------------------------------------------------------------------------
// SparsityPattern

bool SparsityPattern::contains(std::size_t i, std::size_t j) const {
  if (i >= rows || j > std::numeric_limits<std::uint32_t>::max()) return false;
  const std::span<const std::uint32_t> r = row(i);
  return std::binary_search(r.begin(), r.end(), static_cast<std::uint32_t>(j));
}

std::span<const std::uint32_t> SparsityPattern::row(std::size_t i) const {
  if (i >= rows) throw Error("SparsityPattern::row: row ", i, " of a pattern with ", rows, " rows");
  if (i + 1 >= row_begin.size() || row_begin[i] > row_begin[i + 1] || row_begin[i + 1] > columns.size())
    throw Error("SparsityPattern::row: row_begin does not describe row ", i,
                " (SparsityPattern::check says why)");
  return {columns.data() + row_begin[i], row_begin[i + 1] - row_begin[i]};
}

void SparsityPattern::check(const char* who) const {
  if (row_begin.size() != rows + 1)
    throw Error(who, ": the pattern's row_begin has ", row_begin.size(), " entries for ", rows,
                " rows (it needs rows + 1 = ", rows + 1, ")");
  if (row_begin.front() != 0)
    throw Error(who, ": the pattern's row_begin starts at ", row_begin.front(), ", not 0");
  if (row_begin.back() != columns.size())
    throw Error(who, ": the pattern's row_begin ends at ", row_begin.back(), ", but columns has ",
                columns.size(), " entries");
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t begin = row_begin[i], end = row_begin[i + 1];
    if (end < begin)
      throw Error(who, ": the pattern's row_begin decreases from row ", i, " to row ", i + 1, " (", begin,
                  " then ", end, ")");
    for (std::size_t k = begin; k < end; ++k) {
      const std::uint32_t c = columns[k];
      if (c >= cols)
        throw Error(who, ": row ", i, " of the pattern has column ", c, ", outside its ", cols, " columns");
      if (k > begin && c == columns[k - 1])
        throw Error(who, ": row ", i, " of the pattern repeats column ", c);
      if (k > begin && c < columns[k - 1])
        throw Error(who, ": row ", i, "'s columns are not sorted (", c, " after ", columns[k - 1], ")");
    }
  }
}

namespace detail {
namespace {

// A pattern in ADOL-C's compressed rows, ColPack's input: row i at rows[i], its count of
// nonzeros then its columns. Move-only: the row pointers point into `entries`.
class AdolcPattern {
 public:
  explicit AdolcPattern(const SparsityPattern& p) : rows_(p.rows) {
    entries_.reserve(p.rows + p.nonzeros());
    for (std::size_t i = 0; i < p.rows; ++i) {
      const std::span<const std::uint32_t> r = p.row(i);
      entries_.push_back(static_cast<unsigned int>(r.size()));
      entries_.insert(entries_.end(), r.begin(), r.end());
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < p.rows; ++i) {
      rows_[i] = entries_.data() + at;
      at += 1 + entries_[at];
    }
  }
  AdolcPattern(AdolcPattern&&) noexcept = default;
  AdolcPattern(const AdolcPattern&) = delete;
  AdolcPattern& operator=(const AdolcPattern&) = delete;

  // ColPack takes the rows as non-const pointers; it reads them only.
  unsigned int** get() const { return const_cast<unsigned int**>(rows_.data()); }

 private:
  std::vector<unsigned int> entries_;
  std::vector<unsigned int*> rows_;
};

// Rows of doubles in ColPack's layout (double**): `count` rows of `width` entries each, or
// the rows of a pattern in ADOL-C's layout (its count, then one entry per nonzero).
class RowMatrix {
 public:
  RowMatrix(std::size_t count, std::size_t width, double fill) : data_(count * width, fill), rows_(count) {
    for (std::size_t r = 0; r < count; ++r) rows_[r] = data_.data() + r * width;
  }
  RowMatrix(const SparsityPattern& p, double fill) : data_(p.rows + p.nonzeros(), fill), rows_(p.rows) {
    for (std::size_t i = 0; i < p.rows; ++i) {
      rows_[i] = data_.data() + p.row_begin[i] + i;
      rows_[i][0] = static_cast<double>(p.row_begin[i + 1] - p.row_begin[i]);
    }
  }
  double** get() { return rows_.data(); }
  double* row(std::size_t r) { return rows_[r]; }

 private:
  std::vector<double> data_;
  std::vector<double*> rows_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ColPack indexes vertices and edges by int; its bipartite graph stores every nonzero twice.
void check_colpack_size(const SparsityPattern& p, const char* who) {
  constexpr std::size_t int_max = std::numeric_limits<int>::max();
  if (p.rows > int_max || p.cols > int_max || p.nonzeros() > int_max / 2)
    throw Error(who, ": a pattern of ", p.rows, " × ", p.cols, " with ", p.nonzeros(),
                " nonzeros is larger than ColPack takes (rows and columns at most ", int_max,
                ", nonzeros at most ", int_max / 2, ")");
}

const char* colpack_ordering(ColoringOrder order) {
  switch (order) {
    case ColoringOrder::Natural:
      return "NATURAL";
    case ColoringOrder::LargestFirst:
      return "LARGEST_FIRST";
    case ColoringOrder::SmallestLast:
      return "SMALLEST_LAST";
    case ColoringOrder::IncidenceDegree:
      return "INCIDENCE_DEGREE";
    case ColoringOrder::Best:
      break;
  }
  throw Error("ColoringOrder: no ColPack ordering for value ", static_cast<int>(order));
}

// The orderings to try, in the order a tie is decided in. Measured with ColPack on band
// matrices, 5- and 9-point stencils, a 3-D 7-point stencil and random symmetric patterns:
// for a Jacobian, Natural never gave the fewest colors alone but each of the other three
// did on some pattern (5-point stencil: 7, 7, 5, 6); for a Hessian, IncidenceDegree never
// beat the other three (star on a 5-point stencil: 5, 5, 6; on a random pattern: 15, 15,
// 13).
std::vector<ColoringOrder> orderings(ColoringOrder order, bool jacobian, const char* who) {
  switch (order) {
    case ColoringOrder::Best:
      if (jacobian)
        return {ColoringOrder::Natural, ColoringOrder::LargestFirst, ColoringOrder::SmallestLast,
                ColoringOrder::IncidenceDegree};
      return {ColoringOrder::Natural, ColoringOrder::LargestFirst, ColoringOrder::SmallestLast};
    case ColoringOrder::Natural:
    case ColoringOrder::LargestFirst:
    case ColoringOrder::SmallestLast:
    case ColoringOrder::IncidenceDegree:
      return {order};
  }
  throw Error(who, ": unknown ColoringOrder ", static_cast<int>(order));
}

// ColPack's colors of the columns, renumbered as ours (see the top of this file).
struct Colors {
  std::vector<int> ours;             // per column: 0…count−1, −1 without nonzeros
  std::size_t count = 0;             // colors used by the columns with nonzeros
  std::vector<int> ours_of_colpack;  // per ColPack color: ours, −1 for none
  std::size_t colpack_width = 0;     // ColPack's largest color + 1, over every column
};

// Whether ColPack's ordering holds each of the `count` vertices once (numbered from
// `first`); otherwise `left_out` is set to one it lacks. Its bipartite LARGEST_FIRST
// ordering can leave columns out: it tracks the smallest distance-2 degree only over the
// columns that did not raise the largest, so a first column of the smallest degree is
// dropped with its whole degree class. Coloring after such an ordering reads past its
// end, so it is checked before.
bool complete_ordering(const std::vector<int>& order, std::size_t count, std::size_t first,
                       std::size_t& left_out) {
  std::vector<bool> seen(count, false);
  for (const int v : order) {
    const auto j = static_cast<std::size_t>(v) - first;
    if (v < 0 || static_cast<std::size_t>(v) < first || j >= count || seen[j]) return false;
    seen[j] = true;
  }
  if (order.size() == count) return true;
  left_out = static_cast<std::size_t>(std::find(seen.begin(), seen.end(), false) - seen.begin());
  return false;
}

[[noreturn]] void throw_left_out(ColoringOrder order, std::size_t column, const char* who) {
  throw Error(
      who, ": ColPack's ", colpack_ordering(order), " ordering left column ", column,
      " out; choose another ColoringOrder (ColoringOrder::Best passes over an ordering that does this, as ",
      "ColPack's largest-first ordering of a Jacobian's columns can)");
}

// ColPack's colors as ours.
Colors adopt_colors(const std::vector<int>& colpack, const std::vector<bool>& has_nonzeros, const char* who) {
  if (colpack.size() != has_nonzeros.size())
    throw Error(who, ": ColPack returned ", colpack.size(), " colors for ", has_nonzeros.size(), " columns");
  Colors result;
  int largest = -1;
  for (std::size_t j = 0; j < colpack.size(); ++j) {
    if (colpack[j] < 0) throw Error(who, ": ColPack left column ", j, " without a color");
    largest = std::max(largest, colpack[j]);
  }
  result.colpack_width = static_cast<std::size_t>(largest + 1);
  std::vector<bool> used(result.colpack_width, false);
  for (std::size_t j = 0; j < colpack.size(); ++j)
    if (has_nonzeros[j]) used[static_cast<std::size_t>(colpack[j])] = true;
  result.ours_of_colpack.assign(result.colpack_width, -1);
  for (std::size_t c = 0; c < result.colpack_width; ++c)
    if (used[c]) result.ours_of_colpack[c] = static_cast<int>(result.count++);
  result.ours.resize(colpack.size());
  for (std::size_t j = 0; j < colpack.size(); ++j)
    result.ours[j] = has_nonzeros[j] ? result.ours_of_colpack[static_cast<std::size_t>(colpack[j])] : -1;
  return result;
}

// Where ColPack's direct recovery copies each nonzero from, as a position in our compressed
// matrix (row + rows·color, column-major): `recover(compressed, values)` runs it on a
// compressed matrix whose entries are their own positions (see the top of this file).
template <class Recover>
std::vector<std::uint64_t> direct_sources(const SparsityPattern& p, std::size_t rows, const Colors& colors,
                                          Recover recover, const char* who) {
  const std::size_t width = colors.colpack_width;
  const std::size_t positions = rows * colors.count;
  if (static_cast<double>(positions) >= 0x1p53)
    throw Error(who, ": a compressed matrix of ", rows, " × ", colors.count, " is too large to recover from");
  RowMatrix encoded(rows, width, -1);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < width; ++c)
      if (const int ours = colors.ours_of_colpack[c]; ours >= 0)
        encoded.row(r)[c] = static_cast<double>(r + rows * static_cast<std::size_t>(ours));
  RowMatrix recovered(p, -1);
  double** values = recovered.get();
  recover(encoded.get(), &values);

  std::vector<std::uint64_t> sources(p.nonzeros());
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k) {
      const double position = recovered.row(i)[1 + k - p.row_begin[i]];
      if (!(position >= 0 && position < static_cast<double>(positions) && position == std::floor(position)))
        throw Error(who, ": ColPack's recovery of nonzero (", i, ", ", p.columns[k],
                    ") read no entry of the compressed matrix");
      sources[k] = static_cast<std::uint64_t>(position);
    }
  return sources;
}

}  // namespace

// An acyclic coloring's recovery: ColPack's graph colored, with the state the coloring left
// in it, and the pattern in ColPack's layout.
struct SubstitutionRecovery {
  AdolcPattern pattern;
  std::unique_ptr<ColPack::GraphColoringInterface> graph;
  Colors colors;

  void recover(const SparsityPattern& p, std::span<const double> compressed, std::span<double> values) const {
    const std::size_t n = p.rows, width = colors.colpack_width;
    RowMatrix colpack_compressed(n, width, 0);
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t c = 0; c < width; ++c)
        if (const int ours = colors.ours_of_colpack[c]; ours >= 0)
          colpack_compressed.row(r)[c] = compressed[r + n * static_cast<std::size_t>(ours)];
    // A nonzero ColPack's substitution missed would stay NaN.
    RowMatrix recovered(p, std::numeric_limits<double>::quiet_NaN());
    double** out = recovered.get();
    ColPack::HessianRecovery recovery;
    recovery.IndirectRecover_RowCompressedFormat_usermem(graph.get(), colpack_compressed.get(), pattern.get(),
                                                         &out);
    for (std::size_t i = 0; i < n; ++i)
      std::copy_n(recovered.row(i) + 1, p.row_begin[i + 1] - p.row_begin[i], values.data() + p.row_begin[i]);
  }
};

}  // namespace detail

// ---------------------------------------------------------------------------------------
// ColumnColoring

ColumnColoring::ColumnColoring() = default;

namespace {

template <class Index>
void gather(const std::vector<Index>& source, const double* compressed, double* values) {
  const std::size_t count = source.size();
  const Index* from = source.data();
  for (std::size_t k = 0; k < count; ++k) values[k] = compressed[from[k]];
}

// A coloring of a pattern without nonzeros: no colors, no product, nothing to recover.
void set_empty(std::vector<int>& color, std::size_t cols) { color.assign(cols, -1); }

}  // namespace

void ColumnColoring::recover(std::span<const double> compressed, std::span<double> values) const {
  const std::size_t needed = pattern_.rows * colors_;
  if (compressed.size() != needed)
    throw Error("ColumnColoring::recover: the compressed matrix has ", compressed.size(),
                " entries; it must have rows × colors = ", pattern_.rows, " × ", colors_, " = ", needed);
  if (values.size() != pattern_.nonzeros())
    throw Error("ColumnColoring::recover: room for ", values.size(), " values; the pattern has ",
                pattern_.nonzeros(), " nonzeros");
  if (substitution_) {
    substitution_->recover(pattern_, compressed, values);
  } else if (!source64_.empty()) {
    gather(source64_, compressed.data(), values.data());
  } else {
    gather(source32_, compressed.data(), values.data());
  }
}

// ---------------------------------------------------------------------------------------
// The colorings

ColumnColoring color_jacobian(const SparsityPattern& jacobian, ColoringOrder order) {
  const char* const who = "color_jacobian";
  jacobian.check(who);
  const std::vector<ColoringOrder> tried = detail::orderings(order, true, who);
  ColumnColoring result;
  result.pattern_ = jacobian;
  if (jacobian.nonzeros() == 0) {
    set_empty(result.color_, jacobian.cols);
    return result;
  }
  detail::check_colpack_size(jacobian, who);
  std::vector<bool> has_nonzeros(jacobian.cols, false);
  for (const std::uint32_t c : jacobian.columns) has_nonzeros[c] = true;

  const auto start = std::chrono::steady_clock::now();
  detail::AdolcPattern adolc(jacobian);
  ColPack::BipartiteGraphPartialColoringInterface graph(
      SRC_MEM_ADOLC, adolc.get(), static_cast<int>(jacobian.rows), static_cast<int>(jacobian.cols));
  // ColPack's colors of the columns in ordering o, or nothing when the ordering left one out.
  std::size_t left_out = 0;
  const auto color_with = [&](ColoringOrder o) -> std::optional<std::vector<int>> {
    graph.Reset();
    if (graph.OrderVertices(detail::colpack_ordering(o), "COLUMN_PARTIAL_DISTANCE_TWO") != _TRUE)
      throw Error(who, ": ColPack's ", detail::colpack_ordering(o), " ordering failed");
    std::vector<int> visit;
    graph.GetOrderedVertices(visit);
    if (!detail::complete_ordering(visit, jacobian.cols, jacobian.rows, left_out)) return std::nullopt;
    graph.PartialDistanceTwoColumnColoring_serial();
    std::vector<int> colpack;
    graph.GetRightVertexColors(colpack);
    return colpack;
  };
  std::vector<int> best;
  std::optional<detail::Colors> best_colors;
  std::size_t best_index = 0;
  for (std::size_t t = 0; t < tried.size(); ++t) {
    std::optional<std::vector<int>> colpack = color_with(tried[t]);
    if (!colpack) continue;
    detail::Colors colors = detail::adopt_colors(*colpack, has_nonzeros, who);
    if (!best_colors || colors.count < best_colors->count) {
      best = std::move(*colpack);
      best_colors = std::move(colors);
      best_index = t;
    }
  }
  if (!best_colors) detail::throw_left_out(tried.back(), left_out, who);
  // The recovery reads the colors from the graph: color it again with the ordering kept.
  if (best_index + 1 != tried.size() && color_with(tried[best_index]) != std::optional(best))
    throw Error(who, ": ColPack colored the same pattern in the same order differently");
  result.seconds_ = detail::seconds_since(start);

  std::vector<std::uint64_t> sources = detail::direct_sources(
      jacobian, jacobian.rows, *best_colors,
      [&](double** compressed, double*** values) {
        ColPack::JacobianRecovery1D recovery;
        recovery.RecoverD2Cln_RowCompressedFormat_usermem(&graph, compressed, adolc.get(), values);
      },
      who);
  if (jacobian.rows * best_colors->count <= std::numeric_limits<std::uint32_t>::max() + std::size_t{1})
    result.source32_.assign(sources.begin(), sources.end());
  else
    result.source64_ = std::move(sources);
  result.color_ = std::move(best_colors->ours);
  result.colors_ = best_colors->count;
  result.order_ = tried[best_index];
  return result;
}

ColumnColoring color_hessian(const SparsityPattern& hessian, SymmetricColoring kind, ColoringOrder order) {
  const char* const who = "color_hessian";
  hessian.check(who);
  if (kind != SymmetricColoring::Star && kind != SymmetricColoring::Acyclic)
    throw Error(who, ": unknown SymmetricColoring ", static_cast<int>(kind));
  const std::vector<ColoringOrder> tried = detail::orderings(order, false, who);
  if (hessian.rows != hessian.cols)
    throw Error(who, ": the pattern is ", hessian.rows, " × ", hessian.cols, ", not square");
  for (std::size_t i = 0; i < hessian.rows; ++i)
    for (const std::uint32_t j : hessian.row(i))
      if (!hessian.contains(j, i))
        throw Error(who, ": the pattern is not symmetric: (", i, ", ", j, ") is a nonzero but (", j, ", ", i,
                    ") is not");
  ColumnColoring result;
  result.pattern_ = hessian;
  result.symmetric_ = true;
  if (hessian.nonzeros() == 0) {
    set_empty(result.color_, hessian.cols);
    return result;
  }
  detail::check_colpack_size(hessian, who);
  const std::size_t n = hessian.rows;
  std::vector<bool> has_nonzeros(n, false);
  for (std::size_t i = 0; i < n; ++i) has_nonzeros[i] = hessian.row_begin[i + 1] > hessian.row_begin[i];

  const auto start = std::chrono::steady_clock::now();
  detail::AdolcPattern adolc(hessian);
  std::unique_ptr<ColPack::GraphColoringInterface> best;
  std::optional<detail::Colors> best_colors;
  std::size_t best_index = 0, left_out = 0;
  for (std::size_t t = 0; t < tried.size(); ++t) {
    auto graph =
        std::make_unique<ColPack::GraphColoringInterface>(SRC_MEM_ADOLC, adolc.get(), static_cast<int>(n));
    const std::string ordering = detail::colpack_ordering(tried[t]);
    // Ordered first to check the order; the coloring then keeps it (ColPack orders again
    // only for another ordering).
    graph->OrderVertices(ordering);
    std::vector<int> visit;
    graph->GetOrderedVertices(visit);
    if (!detail::complete_ordering(visit, n, 0, left_out)) continue;
    if (kind == SymmetricColoring::Star)
      graph->StarColoring(ordering);
    else
      graph->AcyclicColoring_ForIndirectRecovery(ordering);
    std::vector<int> colpack;
    graph->GetVertexColors(colpack);
    detail::Colors colors = detail::adopt_colors(colpack, has_nonzeros, who);
    if (!best_colors || colors.count < best_colors->count) {
      best = std::move(graph);
      best_colors = std::move(colors);
      best_index = t;
    }
  }
  if (!best_colors) detail::throw_left_out(tried.back(), left_out, who);
  result.seconds_ = detail::seconds_since(start);
  result.color_ = best_colors->ours;
  result.colors_ = best_colors->count;
  result.order_ = tried[best_index];

  if (kind == SymmetricColoring::Acyclic) {
    result.substitution_ = std::make_shared<const detail::SubstitutionRecovery>(
        detail::SubstitutionRecovery{std::move(adolc), std::move(best), std::move(*best_colors)});
    return result;
  }
  std::vector<std::uint64_t> sources = detail::direct_sources(
      hessian, n, *best_colors,
      [&](double** compressed, double*** values) {
        ColPack::HessianRecovery recovery;
        recovery.DirectRecover_RowCompressedFormat_usermem(best.get(), compressed, adolc.get(), values);
      },
      who);
  if (n * best_colors->count <= std::numeric_limits<std::uint32_t>::max() + std::size_t{1})
    result.source32_.assign(sources.begin(), sources.end());
  else
    result.source64_ = std::move(sources);
  return result;
}

}  // namespace tapegrad
