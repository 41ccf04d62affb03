/// \file
/// Sparsity patterns in compressed rows, and the coloring of a pattern's columns that lets
/// a few products give every nonzero of a sparse Jacobian or Hessian: columns of one color
/// are summed into one seed vector, so M·S has one column per color instead of one per
/// column of M, and each nonzero of M is then read back (recovered) from that compressed
/// product.
///
/// The coloring and the recovery are ColPack's (Gebremedhin, Tarafdar, Pothen, Walther:
/// "Efficient computation of sparse Hessians using coloring and automatic
/// differentiation", INFORMS J. Computing 21, 2009), called only from coloring.cpp:
///  - a Jacobian's columns get a distance-2 coloring (ColPack's partial distance-2
///    coloring of the bipartite row/column graph): two columns with a nonzero in a common
///    row differ, so each nonzero is alone in its row of its color's column of J·S;
///  - a Hessian's columns get a star coloring (every nonzero read directly from H·S) or an
///    acyclic one (fewer colors; the nonzeros are found by substitution along the trees
///    that two colors form).
///
/// The ordering the greedy coloring visits the columns in changes the number of colors;
/// by default several of ColPack's orderings are tried and the fewest colors kept
/// (ColoringOrder::Best). A direct recovery (Jacobian, star) is worked out once, with
/// ColPack, as the position in the compressed product each nonzero is copied from, so that
/// recover() is then one gather; a substitution (acyclic) calls ColPack at every recover().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tapegrad {

/// A sparsity pattern in compressed rows.
///
/// Row i's nonzeros are in the columns `columns[row_begin[i]]` … `columns[row_begin[i + 1] - 1]`, sorted,
/// without repeats. Nothing is checked when the fields are set; check() says whether they hold a pattern, and
/// every function that takes one calls it.
struct SparsityPattern {
  std::size_t rows = 0;                   ///< number of rows
  std::size_t cols = 0;                   ///< number of columns
  std::vector<std::size_t> row_begin{0};  ///< rows + 1 offsets into columns
  std::vector<std::uint32_t> columns;     ///< row i's columns, sorted, no repeats

  /// The number of nonzeros: columns.size().
  std::size_t nonzeros() const noexcept { return columns.size(); }
  /// Whether (i, j) is a nonzero: a binary search in row i; false for a row or column outside the pattern.
  bool contains(std::size_t i, std::size_t j) const;
  /// Row i's columns. Throws tapegrad::Error for i ≥ rows.
  std::span<const std::uint32_t> row(std::size_t i) const;
  /// The same sizes and the same nonzeros.
  friend bool operator==(const SparsityPattern&, const SparsityPattern&) = default;
  /// Checks the invariants (sizes, sorted, in range); throws tapegrad::Error naming what is wrong.
  ///
  /// `who`, the function that received the pattern, starts the message: row_begin must have rows + 1 entries,
  /// start at 0, never decrease and end at columns.size(); each row's columns must increase strictly and be
  /// below cols.
  void check(const char* who) const;
};

/// How a symmetric (Hessian) pattern is colored.
enum class SymmetricColoring {
  /// Every path on four vertices of the adjacency graph has at least three colors: each nonzero is read
  /// directly from H·S (recover() is a gather).
  Star,
  /// Every cycle has at least three colors: fewer colors than Star (a band of half-bandwidth b: b + 1
  /// instead of 2b + 1), but each nonzero is found by substitution, which ColPack does at every recover().
  Acyclic,
};

/// The order ColPack's greedy coloring visits the columns in (ColPack's vertex orderings).
enum class ColoringOrder {
  /// Tries several orderings and keeps the one with the fewest colors (the first of them on a tie): for a
  /// Jacobian Natural, LargestFirst, SmallestLast and IncidenceDegree, which share one graph; for a Hessian
  /// Natural, LargestFirst and SmallestLast, each colored from scratch. On a 5-point stencil the Jacobian's
  /// best gives 5 colors where Natural gives 7.
  Best,
  Natural,  ///< the columns' own order
  /// By decreasing degree (distance-2 degree for a Jacobian). For a Jacobian, ColPack's ordering leaves out
  /// the columns of the smallest degree when the first column has that degree and others have more: then
  /// color_jacobian() throws, and Best passes over it.
  LargestFirst,
  SmallestLast,     ///< Matula and Beck's smallest-last ordering
  IncidenceDegree,  ///< next the column with the most neighbours already ordered
};

namespace detail {
struct SubstitutionRecovery;
}  // namespace detail

/// A coloring of a pattern's columns: the seed (column j belongs to color color(j)) and the recovery of
/// every nonzero from the compressed product B = M·S (rows × colors, column-major), S(j, color(j)) = 1.
///
/// Made by color_jacobian() or color_hessian(). Copies share what ColPack keeps for a substitution; nothing
/// in a ColumnColoring changes after it is made, so recover() may run on several threads at once.
class ColumnColoring {
 public:
  /// The coloring of the empty pattern (0 × 0, no colors).
  ColumnColoring();

  /// The number of colors: the columns of S, so the products one compressed matrix needs. 0 when the pattern
  /// has no nonzeros.
  std::size_t colors() const noexcept { return colors_; }
  /// Per column, its color: 0-based, < colors(); −1 for a column without nonzeros, which is in no product.
  std::span<const int> color() const noexcept { return color_; }
  /// The pattern colored.
  const SparsityPattern& pattern() const noexcept { return pattern_; }
  /// Whether it colors a symmetric (Hessian) pattern, with color_hessian().
  bool symmetric() const noexcept { return symmetric_; }
  /// Whether recover() reads each nonzero directly from the compressed matrix (a Jacobian's coloring, a star
  /// coloring), rather than by substitution (an acyclic coloring).
  bool direct() const noexcept { return substitution_ == nullptr; }
  /// The ordering the coloring kept (Natural for a pattern without nonzeros, which ColPack never saw).
  ColoringOrder order() const noexcept { return order_; }
  /// The wall-clock seconds ColPack took to build its graph of the pattern and to order and color it, every
  /// ordering tried included (not the checks of the pattern, nor working out the recovery).
  double seconds() const noexcept { return seconds_; }

  /// values[k] = the k-th nonzero of pattern() (compressed-row order) from B (rows × colors, column-major,
  /// leading dimension rows). For a Hessian, both triangles of the symmetric pattern are written.
  ///
  /// Throws tapegrad::Error when `compressed` does not have rows × colors entries or `values` does not have
  /// pattern().nonzeros(). A direct recovery copies each value (the same bits as ColPack's recovery, which
  /// it was worked out from) and allocates nothing: 0.02 s for 1.3·10⁷ nonzeros. A substitution calls
  /// ColPack, which allocates and walks every vertex once for each tree that two colors form, so that its
  /// cost grows faster than the size: on this project's 2-core machine 0.04 s for a band of half-bandwidth 6
  /// or a 5-point stencil of 10⁴ columns, 0.6 s and 1.2 s at 10⁵, 9 s and 108 s at 10⁶. Beyond 10⁴ columns
  /// or so, a star coloring's extra products cost less.
  void recover(std::span<const double> compressed, std::span<double> values) const;

 private:
  friend ColumnColoring color_jacobian(const SparsityPattern&, ColoringOrder);
  friend ColumnColoring color_hessian(const SparsityPattern&, SymmetricColoring, ColoringOrder);

  SparsityPattern pattern_;
  std::vector<int> color_;
  std::size_t colors_ = 0;
  bool symmetric_ = false;
  ColoringOrder order_ = ColoringOrder::Natural;
  double seconds_ = 0;
  // A direct recovery: values[k] = compressed[source[k]], in 32-bit indexes when rows × colors fits.
  std::vector<std::uint32_t> source32_;
  std::vector<std::uint64_t> source64_;
  // A substitution: ColPack's graph and its coloring, kept for every recover().
  std::shared_ptr<const detail::SubstitutionRecovery> substitution_;
};

/// Distance-2 column coloring of a Jacobian pattern (ColPack's bipartite partial coloring, columns): columns
/// with a common nonzero row get different colors; recovery is direct.
///
/// Throws tapegrad::Error for a pattern that check() refuses, or one larger than ColPack's int indexes take.
/// Time and memory grow about linearly with the nonzeros. On this project's 2-core machine, for a band of
/// half-bandwidth 6 with 10⁶ rows (1.3·10⁷ nonzeros): 7 s and 0.7 GB with ColoringOrder::Best, 5 s with one
/// ordering (most of it ColPack building its graph); for a 5-point stencil of 10⁶ points, 2.5 s.
ColumnColoring color_jacobian(const SparsityPattern& jacobian, ColoringOrder order = ColoringOrder::Best);

/// Star (direct recovery) or acyclic (recovery by substitution) coloring of a symmetric pattern (square, both
/// triangles and the diagonal entries that are nonzero stored; the function checks symmetry).
///
/// Throws tapegrad::Error for a pattern that check() refuses, that is not square or not symmetric (naming an
/// entry whose mirror is missing), or one larger than ColPack's int indexes take. Time and memory grow about
/// linearly with the nonzeros. On this project's 2-core machine a star coloring of a band of half-bandwidth 6
/// with 10⁶ columns takes 8 to 9 s and 0.9 GB with ColoringOrder::Best (three colorings; 4 s with one), of a
/// 5-point stencil of 10⁶ points 2 s; an acyclic coloring of the band takes 36 s and 1.8 GB, of the stencil
/// 9 s.
ColumnColoring color_hessian(const SparsityPattern& hessian, SymmetricColoring kind = SymmetricColoring::Star,
                             ColoringOrder order = ColoringOrder::Best);

}  // namespace tapegrad
